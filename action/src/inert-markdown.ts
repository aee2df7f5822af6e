import { inertComments } from "../../src/core/task-result-block.js";

/**
 * A name the agent could choose (a file it created, a tool it asked for) as Markdown code: inert
 * (no HTML comment can open in it), and a backtick in it cannot end the span early.
 */
export function codeSpan(text: string): string {
  const inert = inertComments(text);
  const longest = Math.max(0, ...[...inert.matchAll(/`+/g)].map((match) => match[0].length));
  const ticks = "`".repeat(longest + 1);
  return longest > 0 ? `${ticks} ${inert} ${ticks}` : `${ticks}${inert}${ticks}`;
}
