import { describe, expect, it } from "vitest";
import { allSettledOrThrow } from "../../src/runner/all-settled-or-throw.js";

const after = <T>(ms: number, value: T) => new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));

describe("allSettledOrThrow", () => {
  it("resolves with every value, in argument order", async () => {
    const [count, names] = await allSettledOrThrow([after(20, 3), after(1, ["a", "b"])]);
    expect(count).toBe(3);
    expect(names).toEqual(["a", "b"]);
  });

  it("reports a failure only after the other operations have ended", async () => {
    let slowEnded = false;
    const slow = after(40, "slow").then((value) => {
      slowEnded = true;
      return value;
    });
    await expect(allSettledOrThrow([Promise.reject(new Error("fast failure")), slow])).rejects.toThrow(
      "fast failure",
    );
    expect(slowEnded).toBe(true);
  });

  it("reports the first failure in argument order, not the first to happen", async () => {
    const late = after(30, undefined).then(() => Promise.reject(new Error("first argument")));
    const early = Promise.reject(new Error("second argument"));
    await expect(allSettledOrThrow([late, early])).rejects.toThrow("first argument");
  });
});
