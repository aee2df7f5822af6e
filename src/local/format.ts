/** Short human forms for the progress table and summary: durations and money as everywhere else. */
export { formatCost, formatDuration } from "../core/format.js";

/** Pads or cuts `text` to exactly `width` characters (cut text ends with an ellipsis). */
export function fit(text: string, width: number): string {
  if (width <= 0) return "";
  if (text.length > width) return width === 1 ? "…" : `${text.slice(0, width - 1)}…`;
  return text.padEnd(width);
}
