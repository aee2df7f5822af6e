/**
 * Where a YAML text first nests flow collections (`[ ... ]`, `{ ... }`) deeper than `limit`, or
 * undefined. The `yaml` package parses nesting recursively: a few thousand levels overflow the
 * stack, and near that limit V8 can even abort the process. Tasks files nest 4 levels, so this
 * cheap scan refuses the pathological ones before the parser sees them.
 *
 * It follows YAML only as far as needed: outside flow collections a bracket opens one only
 * where a value starts (after `: `, `- `, `? `, or at the start of a line); inside, quoted
 * strings and comments are skipped. Block nesting shows as indentation: a line indented more
 * than `limit` × 4 columns counts as too deep as well.
 */
export function deepYamlNestingOffset(text: string, limit: number): number | undefined {
  let depth = 0;
  let lineStart = true;
  let previous = " ";
  let indent = 0;
  /** The last character on this line that is not a space: a bracket after ':' or '-' starts a value. */
  let lastSignificant = "";
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    if (c === "\n") {
      lineStart = true;
      previous = " ";
      lastSignificant = "";
      indent = 0;
      continue;
    }
    if (lineStart && c === " " && ++indent > limit * 4) return i;
    if (c === "#" && (previous === " " || previous === "\t" || lineStart)) {
      const end = text.indexOf("\n", i);
      i = (end === -1 ? text.length : end) - 1;
      continue;
    }
    if (depth > 0 && (c === '"' || c === "'")) {
      i = closingQuote(text, i);
      previous = c;
      lastSignificant = c;
      lineStart = false;
      continue;
    }
    if (c === "[" || c === "{") {
      const opensValue =
        depth > 0 ||
        lineStart ||
        lastSignificant === ":" ||
        lastSignificant === "-" ||
        lastSignificant === "?";
      if (opensValue && ++depth > limit) return i;
    } else if ((c === "]" || c === "}") && depth > 0) {
      depth--;
    }
    if (c !== " " && c !== "\t") {
      lineStart = false;
      lastSignificant = c;
    }
    previous = c;
  }
  return undefined;
}

/** Offset of the quote that closes the string opening at `start` (or the last offset). */
function closingQuote(text: string, start: number): number {
  const quote = text.charAt(start);
  for (let i = start + 1; i < text.length; i++) {
    const c = text.charAt(i);
    if (quote === '"' && c === "\\") i++;
    else if (c === quote) {
      // '' inside single quotes is an escaped quote.
      if (quote === "'" && text.charAt(i + 1) === "'") i++;
      else return i;
    }
  }
  return text.length - 1;
}
