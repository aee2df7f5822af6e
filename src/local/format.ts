/** Short human forms for durations and money in the progress table and summary. */

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "–";
  const seconds = ms / 1000;
  if (seconds < 10) return `${seconds.toFixed(1)}s`;
  if (seconds < 60) return `${Math.round(seconds)}s`;
  const minutes = Math.floor(seconds / 60);
  const rest = Math.round(seconds - minutes * 60);
  if (minutes < 60) return `${minutes}m${String(rest).padStart(2, "0")}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, "0")}m`;
}

export function formatCost(usd: number | undefined): string {
  if (usd === undefined) return "–";
  return usd > 0 && usd < 0.01 ? `$${usd.toFixed(4)}` : `$${usd.toFixed(2)}`;
}

/** Pads or cuts `text` to exactly `width` characters (cut text ends with an ellipsis). */
export function fit(text: string, width: number): string {
  if (width <= 0) return "";
  if (text.length > width) return width === 1 ? "…" : `${text.slice(0, width - 1)}…`;
  return text.padEnd(width);
}
