/**
 * A small JSON scanner that finds where each value and key starts, the first syntax error with
 * its exact offset, and duplicate keys (which `JSON.parse` silently resolves to the last one).
 *
 * Why not the `yaml` package's document parser, which also reads JSON: on a 10,000-task file
 * (3 MB) it takes over a second, and V8's `JSON.parse` messages do not always carry a position.
 * This scanner is iterative (no recursion), so deeply nested input cannot overflow the stack.
 * Values still come from `JSON.parse`, which is exact and fast; this only adds positions.
 */

export type JsonPath = ReadonlyArray<string | number>;

export interface JsonDuplicateKey {
  /** Path of the object holding the key twice. */
  path: Array<string | number>;
  key: string;
  /** Offset of the later occurrence. */
  offset: number;
}

export type JsonScan =
  | {
      ok: true;
      /** Offset of the value (or of its key) at `path`; undefined when the path does not exist. */
      locate: (path: JsonPath, target: "key" | "value") => number | undefined;
      duplicateKeys: JsonDuplicateKey[];
    }
  | { ok: false; offset: number; message: string; tooDeep: boolean };

/** Real tasks files nest 4 levels; the limit keeps pathological input from using all memory. */
export const MAX_JSON_DEPTH = 64;

/** Where a value (and its key, in an object) starts; containers hold their children. */
interface JsonNode {
  start: number;
  keyStart: number;
  items?: JsonNode[];
  fields?: Map<string, JsonNode>;
}

class SyntaxProblem extends Error {
  constructor(
    readonly offset: number,
    message: string,
    readonly tooDeep = false,
  ) {
    super(message);
  }
}

interface Frame {
  node: JsonNode;
  /** This container's key or index in its parent (unused for the root). */
  segment: string | number;
}

const enum Char {
  Tab = 9,
  LineFeed = 10,
  CarriageReturn = 13,
  Space = 32,
  Quote = 34,
  Apostrophe = 39,
  Plus = 43,
  Comma = 44,
  Minus = 45,
  Dot = 46,
  Slash = 47,
  Zero = 48,
  Nine = 57,
  Colon = 58,
  UpperE = 69,
  OpenBracket = 91,
  Backslash = 92,
  CloseBracket = 93,
  LowerE = 101,
  LowerU = 117,
  OpenBrace = 123,
  CloseBrace = 125,
}

export function scanJson(text: string): JsonScan {
  try {
    return new Scanner(text).scan();
  } catch (error) {
    if (error instanceof SyntaxProblem)
      return { ok: false, offset: error.offset, message: error.message, tooDeep: error.tooDeep };
    throw error;
  }
}

const LITERALS = ["true", "false", "null"] as const;

function locateIn(root: JsonNode, path: JsonPath, target: "key" | "value"): number | undefined {
  let node: JsonNode | undefined = root;
  for (const segment of path) {
    if (node === undefined) return undefined;
    node = node.items ? node.items[Number(segment)] : node.fields?.get(String(segment));
  }
  if (node === undefined) return undefined;
  return target === "key" && node.keyStart >= 0 ? node.keyStart : node.start;
}

class Scanner {
  private i = 0;
  private readonly duplicateKeys: JsonDuplicateKey[] = [];
  private readonly stack: Frame[] = [];
  private readonly root: JsonNode = { start: 0, keyStart: -1 };
  /** The node of the value about to be read (already linked into its parent). */
  private pending: JsonNode = this.root;
  private pendingSegment: string | number = "";
  /** Set by readValue when it opened a non-empty container whose first value or key comes next. */
  private justOpened = false;

  constructor(private readonly text: string) {}

  scan(): JsonScan {
    const { text, stack } = this;
    let expectValue = true;
    for (;;) {
      this.skipWhitespace();
      if (expectValue) {
        this.readValue();
        expectValue = this.justOpened;
        continue;
      }
      const frame = stack[stack.length - 1];
      if (frame === undefined) {
        if (this.i < text.length)
          throw new SyntaxProblem(this.i, "unexpected text after the end of the JSON value");
        const { root, duplicateKeys } = this;
        return { ok: true, duplicateKeys, locate: (path, target) => locateIn(root, path, target) };
      }
      const items = frame.node.items;
      const c = text.charCodeAt(this.i);
      if (c === Char.Comma) {
        this.i++;
        this.skipWhitespace();
        const next = text.charCodeAt(this.i);
        if (next === (items ? Char.CloseBracket : Char.CloseBrace))
          throw new SyntaxProblem(
            this.i - 1,
            "trailing comma: JSON allows no comma before a closing bracket",
          );
        if (items) this.nextItem(items);
        else this.readKey(frame);
        expectValue = true;
      } else if (c === (items ? Char.CloseBracket : Char.CloseBrace)) {
        this.i++;
        stack.pop();
      } else if (this.i >= text.length) {
        throw new SyntaxProblem(this.i, `unexpected end of file: a '${items ? "]" : "}"}' is missing`);
      } else if (c === Char.Slash) {
        throw new SyntaxProblem(this.i, "comments are not allowed in JSON");
      } else {
        throw new SyntaxProblem(
          this.i,
          items ? "expected ',' or ']' after an array item" : "expected ',' or '}' after a property value",
        );
      }
    }
  }

  private readValue(): void {
    const { text } = this;
    const start = this.i;
    const c = text.charCodeAt(start);
    const node = this.pending;
    node.start = start;
    this.justOpened = false;
    if (c === Char.OpenBrace || c === Char.OpenBracket) {
      const isArray = c === Char.OpenBracket;
      if (isArray) node.items = [];
      else node.fields = new Map();
      this.i++;
      this.skipWhitespace();
      if (text.charCodeAt(this.i) === (isArray ? Char.CloseBracket : Char.CloseBrace)) {
        this.i++;
        return;
      }
      if (this.stack.length >= MAX_JSON_DEPTH)
        throw new SyntaxProblem(start, `the file nests deeper than ${MAX_JSON_DEPTH} levels`, true);
      const frame: Frame = { node, segment: this.pendingSegment };
      this.stack.push(frame);
      if (node.items) this.nextItem(node.items);
      else this.readKey(frame);
      this.justOpened = true;
      return;
    }
    if (c === Char.Quote) {
      this.i = this.scanString(start);
      return;
    }
    if (c === Char.Minus || (c >= Char.Zero && c <= Char.Nine)) {
      this.i = this.scanNumber(start);
      return;
    }
    for (const literal of LITERALS) {
      if (text.startsWith(literal, start)) {
        this.i = start + literal.length;
        return;
      }
    }
    throw new SyntaxProblem(start, this.describeUnexpected(start));
  }

  private nextItem(items: JsonNode[]): void {
    this.pendingSegment = items.length;
    this.pending = { start: this.i, keyStart: -1 };
    items.push(this.pending);
  }

  private readKey(frame: Frame): void {
    const { text } = this;
    const start = this.i;
    const c = text.charCodeAt(start);
    if (c !== Char.Quote) {
      if (start >= text.length) throw new SyntaxProblem(start, "unexpected end of file: a '}' is missing");
      if (c === Char.Slash) throw new SyntaxProblem(start, "comments are not allowed in JSON");
      if (c === Char.Apostrophe)
        throw new SyntaxProblem(start, "property names must use double quotes in JSON");
      throw new SyntaxProblem(start, "expected a property name in double quotes");
    }
    const end = this.scanString(start);
    const raw = text.slice(start + 1, end - 1);
    const key = raw.includes("\\") ? (JSON.parse(text.slice(start, end)) as string) : raw;
    const fields = frame.node.fields as Map<string, JsonNode>;
    if (fields.has(key)) {
      const path = this.stack.slice(1).map((entry) => entry.segment);
      this.duplicateKeys.push({ path, key, offset: start });
    }
    // Like JSON.parse, the last occurrence wins.
    this.pending = { start: end, keyStart: start };
    this.pendingSegment = key;
    fields.set(key, this.pending);
    this.i = end;
    this.skipWhitespace();
    if (text.charCodeAt(this.i) !== Char.Colon)
      throw new SyntaxProblem(this.i, "expected ':' after the property name");
    this.i++;
    this.skipWhitespace();
  }

  private skipWhitespace(): void {
    const { text } = this;
    let i = this.i;
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === Char.Space || c === Char.LineFeed || c === Char.CarriageReturn || c === Char.Tab) i++;
      else break;
    }
    this.i = i;
  }

  /** Returns the offset just past the closing quote. */
  private scanString(start: number): number {
    const { text } = this;
    let i = start + 1;
    for (;;) {
      if (i >= text.length)
        throw new SyntaxProblem(start, "unterminated string: the closing '\"' is missing");
      const c = text.charCodeAt(i);
      if (c === Char.Quote) return i + 1;
      if (c === Char.Backslash) {
        const next = text.charCodeAt(i + 1);
        if (next === Char.LowerU) {
          if (!/^[0-9A-Fa-f]{4}$/.test(text.slice(i + 2, i + 6)))
            throw new SyntaxProblem(i, "invalid \\u escape: it needs four hex digits");
          i += 6;
          continue;
        }
        if (i + 1 >= text.length)
          throw new SyntaxProblem(start, "unterminated string: the closing '\"' is missing");
        if (!'"\\/bfnrt'.includes(text.charAt(i + 1)))
          throw new SyntaxProblem(i, `invalid escape "\\${text.charAt(i + 1)}" in a string`);
        i += 2;
        continue;
      }
      if (c < 0x20) {
        throw new SyntaxProblem(
          i,
          c === Char.LineFeed || c === Char.CarriageReturn
            ? "a string cannot span lines: write \\n for a line break"
            : "control character in a string: escape it (for a tab write \\t)",
        );
      }
      i++;
    }
  }

  private scanNumber(start: number): number {
    const { text } = this;
    let i = start;
    const isDigit = (at: number) => {
      const c = text.charCodeAt(at);
      return c >= Char.Zero && c <= Char.Nine;
    };
    if (text.charCodeAt(i) === Char.Minus) i++;
    if (text.charCodeAt(i) === Char.Zero) {
      i++;
      if (isDigit(i)) throw new SyntaxProblem(start, "numbers cannot start with 0 in JSON");
    } else if (isDigit(i)) {
      while (isDigit(i)) i++;
    } else {
      throw new SyntaxProblem(start, "invalid number");
    }
    if (text.charCodeAt(i) === Char.Dot) {
      i++;
      if (!isDigit(i)) throw new SyntaxProblem(start, "invalid number: digits must follow the '.'");
      while (isDigit(i)) i++;
    }
    const e = text.charCodeAt(i);
    if (e === Char.LowerE || e === Char.UpperE) {
      i++;
      const sign = text.charCodeAt(i);
      if (sign === Char.Plus || sign === Char.Minus) i++;
      if (!isDigit(i)) throw new SyntaxProblem(start, "invalid number: digits must follow the exponent");
      while (isDigit(i)) i++;
    }
    return i;
  }

  private describeUnexpected(at: number): string {
    const { text } = this;
    if (at >= text.length) return "unexpected end of file: a value is missing";
    const c = text.charCodeAt(at);
    if (c === Char.Slash) return "comments are not allowed in JSON";
    if (c === Char.Apostrophe) return "strings must use double quotes in JSON";
    if (c === Char.CloseBrace || c === Char.CloseBracket || c === Char.Comma || c === Char.Colon)
      return `expected a value before '${text.charAt(at)}'`;
    const word = /^[A-Za-z_$][\w$]*/.exec(text.slice(at, at + 40))?.[0];
    if (word !== undefined) return `unexpected word "${word}": strings must be in double quotes`;
    const character = String.fromCodePoint(text.codePointAt(at) ?? c);
    return `unexpected character ${JSON.stringify(character)}`;
  }
}
