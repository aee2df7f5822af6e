/**
 * Short human forms for durations and money, the same wherever a person reads them: the terminal
 * progress table, PR bodies, job summaries, the status comment and the Checks tab.
 */

/** What an unknown value shows as (an empty table cell would look like a rendering bug). */
const UNKNOWN = "—";

/** "4.2s", "42s", "4m 05s", "1h 03m"; "—" when unknown. Tenths below ten seconds: "0s" says nothing. */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return UNKNOWN;
  if (ms < 9_950) return `${(ms / 1000).toFixed(1)}s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${twoDigits(seconds % 60)}s`;
  return `${Math.floor(minutes / 60)}h ${twoDigits(minutes % 60)}m`;
}

/** "$1.50"; "$0.0042" below a cent, as short tasks cost fractions of one; "—" when unknown. */
export function formatCost(usd: number | undefined): string {
  if (usd === undefined || !Number.isFinite(usd)) return UNKNOWN;
  return usd > 0 && usd < 0.01 ? `$${usd.toFixed(4)}` : `$${usd.toFixed(2)}`;
}

function twoDigits(value: number): string {
  return String(value).padStart(2, "0");
}
