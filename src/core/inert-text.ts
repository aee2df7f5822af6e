/**
 * Text the App did not write itself — failure reasons (from agents, result blocks, annotations),
 * notes, task names, file paths — shown inside Markdown that GitHub renders (the status comment,
 * check run summaries). Such text must stay text: no links, images, HTML, @-mentions, issue
 * references or formatting.
 *
 * The text goes into a code span. Backslash escapes alone are not enough on GitHub: mentions,
 * `#123` references, bare-URL autolinks and emoji are found after the Markdown is rendered, in
 * the text of every element except code, pre and links. Inside a code span nothing is parsed:
 * not Markdown, not HTML, not entities, and none of those filters.
 *
 * Apply it once, where the Markdown is put together (a renderer), not where the text is read:
 * the stored text stays as written and every renderer decides how to show it.
 */

/** Characters that must never reach a reader: control characters and bidirectional overrides. */
const UNSHOWABLE =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** `text` without unshowable characters; line breaks and tabs stay. */
export function withoutUnshowable(text: string): string {
  return text.replace(UNSHOWABLE, "");
}

/** One line, without unshowable characters, at most `maxLength` characters (an ellipsis marks a cut). */
export function plainLine(text: string, maxLength: number): string {
  const flat = text.replace(UNSHOWABLE, "").replace(/\s+/g, " ").trim();
  return flat.length > maxLength ? `${flat.slice(0, Math.max(0, maxLength - 1))}…` : flat;
}

/**
 * `text` as a code span showing it literally (folded to one line, at most `maxLength` characters
 * of it). The fence is one backtick longer than the longest run of backticks inside, so nothing
 * in the text can close it; the spaces inside the fence are removed again by the renderer.
 */
export function inert(text: string, maxLength = 500): string {
  const line = plainLine(text, maxLength);
  if (line === "") return "";
  const longestRun = Math.max(0, ...(line.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(longestRun + 1);
  return `${fence} ${line} ${fence}`;
}

/**
 * `inert` for a cell of a Markdown table: GitHub splits rows at every unescaped `|`, even
 * inside a code span, and turns `\|` back into `|` inside the cell.
 */
export function inertCell(text: string, maxLength = 300): string {
  return inert(text, maxLength).replace(/\|/g, "\\|");
}

/**
 * A URL fit to be a link target: http(s), none of the characters that end or break a Markdown
 * link (spaces, parentheses, angle brackets, quotes, backticks, backslashes, pipes). Anything
 * else is not linked at all.
 */
export function safeUrl(url: string | null | undefined): string | undefined {
  if (!url || url.length > 2000) return undefined;
  const fit = /^https?:\/\/[A-Za-z0-9.-]+(?::[0-9]+)?(?:[/?#][A-Za-z0-9._~!$&*+,;=:@%/?#-]*)?$/;
  return fit.test(url) ? url : undefined;
}
