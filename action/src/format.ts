/** "$0.0123"; "—" when unknown. Four decimals: short tasks cost fractions of a cent. */
export function formatCost(usd: number | undefined): string {
  return usd === undefined ? "—" : `$${usd.toFixed(4)}`;
}

/** "1m 05s", "42s"; "—" when unknown. */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined) return "—";
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes}m ${String(seconds % 60).padStart(2, "0")}s`;
}
