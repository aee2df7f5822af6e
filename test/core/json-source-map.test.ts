import { describe, expect, it } from "vitest";
import { scanJson } from "../../src/core/json-source-map.js";

describe("scanJson", () => {
  const text = `{"tasks": [ {"id": "a", "deps": ["x", "y"]}, {"id": "b"} ], "n": {"": 1, "a\\u0062": 2}}`;

  it("locates values and keys by path", () => {
    const scan = scanJson(text);
    if (!scan.ok) throw new Error(scan.message);
    const at = (offset: number | undefined) =>
      offset === undefined ? undefined : text.slice(offset, offset + 4);
    expect(at(scan.locate([], "value"))).toBe(`{"ta`);
    expect(at(scan.locate(["tasks"], "key"))).toBe(`"tas`);
    expect(at(scan.locate(["tasks", 0, "deps", 1], "value"))).toBe(`"y"]`);
    expect(at(scan.locate(["tasks", 1, "id"], "key"))).toBe(`"id"`);
    expect(at(scan.locate(["tasks", 1, "id"], "value"))).toBe(`"b"}`);
    expect(at(scan.locate(["n", ""], "value"))).toBe('1, "');
    expect(at(scan.locate(["n", "ab"], "key"))).toBe(`"a\\u`);
    expect(scan.locate(["tasks", 2], "value")).toBeUndefined();
    expect(scan.locate(["nope"], "value")).toBeUndefined();
    expect(scan.duplicateKeys).toEqual([]);
  });

  it("finds duplicate keys, also when written with escapes, and points at the later one", () => {
    const scan = scanJson(`{"a": {"k": 1, "\\u006b": 2}}`);
    expect(scan.ok && scan.duplicateKeys).toEqual([{ path: ["a"], key: "k", offset: 15 }]);
  });

  it("accepts every JSON value at the top", () => {
    for (const value of ["1", "-0.5e+3", '"s"', "true", "false", "null", "[]", "{}", " [ 1 , { } ] "]) {
      expect(scanJson(value).ok).toBe(true);
    }
  });
});
