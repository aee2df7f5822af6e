import { formatCost } from "./format.js";
import type { InterruptionRecord } from "./state-file.js";

/** How an interrupted attempt is told to the user, in the live notices and the final summary. */

/** e.g. `2 commits kept as refs/orchestrator/interrupted/b/1 (1a2b3c4)`; empty when nothing was kept. */
export function keptWords(record: InterruptionRecord): string {
  return (record.kept ?? [])
    .map(
      (kept) =>
        `${kept.commits} commit${kept.commits === 1 ? "" : "s"} kept as ${kept.ref} (${kept.commit.slice(0, 7)})`,
    )
    .join("; ");
}

export function costWords(record: InterruptionRecord): string {
  return record.costUsd === undefined
    ? "cost not known (its agent was stopped before reporting one)"
    : `cost ${formatCost(record.costUsd)}, counted`;
}

/** The notice printed when an attempt is found interrupted. */
export function interruptedNotice(id: string, record: InterruptionRecord): string {
  const kept = keptWords(record);
  return (
    `Task ${id}: attempt ${record.attempt} was interrupted before it finished; ` +
    `${kept === "" ? "it left no commits" : `its agent's work is kept: ${kept}`}; ${costWords(record)}. ` +
    `The task runs again from a fresh start.`
  );
}

/** The interrupted attempts whose cost is not known: they are not in any total or budget. */
export function unknownCostCount(records: Iterable<InterruptionRecord | undefined>): number {
  let count = 0;
  for (const record of records) if (record !== undefined && record.costUsd === undefined) count++;
  return count;
}
