import { describe, expect, it } from "vitest";
import { formatCost, formatDuration } from "../../src/core/format.js";

describe("formatDuration", () => {
  it("gives tenths below ten seconds, then seconds, minutes and hours", () => {
    expect(formatDuration(400)).toBe("0.4s");
    expect(formatDuration(9_400)).toBe("9.4s");
    expect(formatDuration(9_960)).toBe("10s");
    expect(formatDuration(42_300)).toBe("42s");
    expect(formatDuration(59_600)).toBe("1m 00s");
    expect(formatDuration(65_400)).toBe("1m 05s");
    expect(formatDuration(252_000)).toBe("4m 12s");
    expect(formatDuration(3_780_000)).toBe("1h 03m");
  });

  it('says "—" for what is unknown or impossible', () => {
    expect(formatDuration(undefined)).toBe("—");
    expect(formatDuration(-1)).toBe("—");
    expect(formatDuration(Number.NaN)).toBe("—");
  });
});

describe("formatCost", () => {
  it("gives cents, and four decimals below a cent", () => {
    expect(formatCost(1.5)).toBe("$1.50");
    expect(formatCost(0.0123)).toBe("$0.01");
    expect(formatCost(0.0042)).toBe("$0.0042");
    expect(formatCost(0)).toBe("$0.00");
  });

  it('says "—" when unknown', () => {
    expect(formatCost(undefined)).toBe("—");
  });
});
