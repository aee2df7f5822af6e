import { describe, expect, it } from "vitest";
import { boundedEditDistance, closestMatch } from "../../src/core/closest-match.js";

describe("closestMatch", () => {
  it("finds typos: a missing, extra, wrong or swapped letter", () => {
    const ids = ["database", "api", "frontend", "tests"];
    expect(closestMatch("databse", ids)).toBe("database");
    expect(closestMatch("databasee", ids)).toBe("database");
    expect(closestMatch("datobase", ids)).toBe("database");
    expect(closestMatch("dtaabase", ids)).toBe("database");
    expect(closestMatch("API", ids)).toBe("api");
    expect(closestMatch("tets", ids)).toBe("tests");
    // Two edits in a four-letter word is too far to be a typo.
    expect(closestMatch("tset", ids)).toBeUndefined();
  });

  it("suggests nothing when nothing is close", () => {
    expect(closestMatch("backend", ["database", "api"])).toBeUndefined();
    expect(closestMatch("x", [])).toBeUndefined();
    expect(closestMatch("ab", ["xy"])).toBeUndefined();
  });

  it("never suggests the word itself, and prefers the earlier of equally close candidates", () => {
    expect(closestMatch("api", ["api"])).toBeUndefined();
    expect(closestMatch("cat", ["bat", "hat"])).toBe("bat");
  });

  it("stops early but computes exact distances within the bound", () => {
    expect(boundedEditDistance("kitten", "sitting", 5)).toBe(3);
    expect(boundedEditDistance("kitten", "sitting", 2)).toBe(3);
    expect(boundedEditDistance("ab", "ba", 3)).toBe(1);
    expect(boundedEditDistance("", "abc", 5)).toBe(3);
  });
});
