/**
 * Sub-issues and issue dependencies of the fake: links between issues by database id, as GitHub
 * keeps them (a blocker or sub-issue may be in another repository, where its number means
 * nothing). The rules GitHub documents are kept here, so the seeding helpers and the write
 * routes refuse the same things.
 */
import type { FakeIssue } from "./state.js";

/** GitHub: "You can add up to 100 sub-issues per parent issue". */
export const MAX_SUB_ISSUES = 100;
/** GitHub: up to 50 issues in each kind of dependency of one issue. */
export const MAX_BLOCKED_BY = 50;

export class FakeIssueRelations {
  /** Parent id → sub-issue ids, in the order they were added (GitHub's order). */
  readonly subIssues = new Map<number, number[]>();
  readonly parentOf = new Map<number, number>();
  /** Issue id → ids of the issues blocking it, in the order added. */
  readonly blockedBy = new Map<number, number[]>();

  /** Why GitHub would refuse to add `child` under `parent`, or undefined. */
  subIssueRefusal(parent: FakeIssue, child: FakeIssue, replaceParent: boolean): string | undefined {
    if (parent.id === child.id) return "An issue cannot be a sub-issue of itself";
    if (child.pullRequest) return "A pull request cannot be a sub-issue";
    if (owner(parent.repo) !== owner(child.repo))
      return "The sub-issue must belong to the same repository owner as the parent issue";
    if ((this.subIssues.get(parent.id) ?? []).includes(child.id)) return "Sub-issue already exists";
    if (this.parentOf.has(child.id) && !replaceParent) return "The issue already has a parent issue";
    if ((this.subIssues.get(parent.id) ?? []).length >= MAX_SUB_ISSUES)
      return `A parent issue can have at most ${MAX_SUB_ISSUES} sub-issues`;
    for (let up = this.parentOf.get(parent.id); up !== undefined; up = this.parentOf.get(up))
      if (up === child.id) return "The sub-issue is an ancestor of the parent issue";
    return undefined;
  }

  addSubIssue(parent: FakeIssue, child: FakeIssue, replaceParent = false): void {
    const refusal = this.subIssueRefusal(parent, child, replaceParent);
    if (refusal !== undefined) throw new Error(`Fake GitHub: ${refusal}`);
    const old = this.parentOf.get(child.id);
    if (old !== undefined)
      this.subIssues.set(
        old,
        (this.subIssues.get(old) ?? []).filter((id) => id !== child.id),
      );
    this.subIssues.set(parent.id, [...(this.subIssues.get(parent.id) ?? []), child.id]);
    this.parentOf.set(child.id, parent.id);
  }

  blockedByRefusal(issue: FakeIssue, blocker: FakeIssue): string | undefined {
    if (issue.id === blocker.id) return "An issue cannot be blocked by itself";
    if ((this.blockedBy.get(issue.id) ?? []).includes(blocker.id)) return "The dependency already exists";
    if ((this.blockedBy.get(issue.id) ?? []).length >= MAX_BLOCKED_BY)
      return `An issue can be blocked by at most ${MAX_BLOCKED_BY} issues`;
    return undefined;
  }

  addBlockedBy(issue: FakeIssue, blocker: FakeIssue): void {
    const refusal = this.blockedByRefusal(issue, blocker);
    if (refusal !== undefined) throw new Error(`Fake GitHub: ${refusal}`);
    this.blockedBy.set(issue.id, [...(this.blockedBy.get(issue.id) ?? []), blocker.id]);
  }

  /** Ids of the issues `id` blocks. */
  blocking(id: number): number[] {
    const result: number[] = [];
    for (const [blocked, blockers] of this.blockedBy) if (blockers.includes(id)) result.push(blocked);
    return result;
  }
}

function owner(fullName: string): string {
  return (fullName.split("/")[0] ?? "").toLowerCase();
}
