import type { IssueGraphSnapshot, SubIssueSnapshot } from "./issue-graph-snapshot.js";

/**
 * Sorts the sub-issues of a snapshot into tasks, done work and outside issues, and turns each
 * task's "blocked by" list into dependencies and outside waits.
 *
 * The rules, decided here once:
 * - Only open sub-issues in the parent's repository are tasks. A closed sub-issue is done; an
 *   edge to it is satisfied. A sub-issue in another repository cannot run here (its work would
 *   land in the wrong repository): it is not a task, and an edge to it counts as an outside issue.
 * - Only direct sub-issues are tasks. A sub-issue with sub-issues of its own is still one task
 *   (its own sub-issues are its business: plan them with `/orchestrate` on it); the result says so.
 * - A blocker outside the tasks that is closed is satisfied and dropped. One that is open means
 *   the task cannot start in this session: it and every task that depends on it are left out and
 *   returned as waiting, with what they wait for. The rest of the graph runs; a later session on
 *   the parent picks them up once the blocker is closed. (The session machine has no "wait for an
 *   outside event" state, and a task that can never start would only stall the session.)
 */

export interface OutsideBlocker {
  number: number;
  repository?: string | undefined;
}

export interface SortedSubIssues {
  /** Open sub-issues of the parent's repository, in the snapshot's order. */
  open: SubIssueSnapshot[];
  closed: SubIssueSnapshot[];
  otherRepository: SubIssueSnapshot[];
  /** For each open sub-issue (by number): numbers of the open sub-issues blocking it. */
  dependencies: Map<number, number[]>;
  /** For each open sub-issue (by number): the open issues outside the tasks blocking it. */
  outside: Map<number, OutsideBlocker[]>;
}

export function sortSubIssues(snapshot: IssueGraphSnapshot): SortedSubIssues {
  const seen = new Set<number>();
  const open: SubIssueSnapshot[] = [];
  const closed: SubIssueSnapshot[] = [];
  const otherRepository: SubIssueSnapshot[] = [];
  for (const sub of snapshot.subIssues) {
    if (seen.has(sub.id)) continue;
    seen.add(sub.id);
    if (isOtherRepository(sub.repository, snapshot.repository)) otherRepository.push(sub);
    else if (sub.number === snapshot.parent.number)
      continue; // GitHub refuses this; never a task
    else if (sub.state === "closed") closed.push(sub);
    else open.push(sub);
  }
  const openById = new Map(open.map((sub) => [sub.id, sub]));
  const closedIds = new Set(closed.map((sub) => sub.id));
  const dependencies = new Map<number, number[]>();
  const outside = new Map<number, OutsideBlocker[]>();
  for (const sub of open) {
    const deps: number[] = [];
    const waits: OutsideBlocker[] = [];
    for (const blocker of sub.blockedBy) {
      if (blocker.id === sub.id) continue;
      const task = openById.get(blocker.id);
      if (task !== undefined) {
        if (!deps.includes(task.number)) deps.push(task.number);
      } else if (blocker.state === "open" && !closedIds.has(blocker.id)) {
        const repository = isOtherRepository(blocker.repository, snapshot.repository)
          ? blocker.repository
          : undefined;
        waits.push({ number: blocker.number, repository });
      }
    }
    dependencies.set(sub.number, deps);
    outside.set(sub.number, waits);
  }
  return { open, closed, otherRepository, dependencies, outside };
}

function isOtherRepository(repository: string | undefined, parent: string): boolean {
  return repository !== undefined && repository.toLowerCase() !== parent.toLowerCase();
}

export interface WaitingIssue {
  issue: number;
  /** What it waits for, in words: `#99 (open, not a sub-issue of #12)`, `#14 (waiting)`. */
  waitsOn: string[];
}

/**
 * The open sub-issues that cannot start in this session: blocked by an open outside issue, or
 * (transitively) by such a sub-issue. In the snapshot's order.
 */
export function waitingIssues(sorted: SortedSubIssues, parent: number): WaitingIssue[] {
  const reasons = new Map<number, string[]>();
  const queue: number[] = [];
  for (const sub of sorted.open) {
    const waits = sorted.outside.get(sub.number) ?? [];
    if (waits.length === 0) continue;
    reasons.set(
      sub.number,
      waits.map((blocker) => `${issueName(blocker)} (open, not a sub-issue of #${parent})`),
    );
    queue.push(sub.number);
  }
  const dependents = new Map<number, number[]>();
  for (const [number, deps] of sorted.dependencies)
    for (const dep of deps) dependents.set(dep, [...(dependents.get(dep) ?? []), number]);
  // Each issue enters the queue once (when it first gets a reason), so this ends.
  for (let next = 0; next < queue.length; next++) {
    const blocked = queue[next] as number;
    for (const dependent of dependents.get(blocked) ?? []) {
      const list = reasons.get(dependent);
      if (list === undefined) {
        reasons.set(dependent, [`#${blocked} (waiting)`]);
        queue.push(dependent);
      } else if (!list.includes(`#${blocked} (waiting)`)) list.push(`#${blocked} (waiting)`);
    }
  }
  return sorted.open
    .filter((sub) => reasons.has(sub.number))
    .map((sub) => ({ issue: sub.number, waitsOn: reasons.get(sub.number) as string[] }));
}

export function issueName(issue: { number: number; repository?: string | undefined }): string {
  return issue.repository === undefined ? `#${issue.number}` : `${issue.repository}#${issue.number}`;
}
