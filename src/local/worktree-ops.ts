/**
 * Runs git worktree operations one at a time: git's worktree bookkeeping is shared by all
 * worktrees (a listing fails on another's half-made entry). Removes wait while adds are pending or announced:
 * a task announces its add when it starts, because it first checks its base, and a remove that
 * slipped into that gap would hold up the add.
 */
export class WorktreeOps {
  private readonly waiting: Record<"add" | "remove", Array<() => Promise<void>>> = { add: [], remove: [] };
  private busy = false;
  private addsComing = 0;

  /** Holds removes back until the returned function is called (once the add is done, or will not come). */
  addComing(): () => void {
    this.addsComing++;
    let settled = false;
    return () => {
      if (settled) return;
      settled = true;
      this.addsComing--;
      void this.next();
    };
  }

  run<T>(kind: "add" | "remove", operation: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.waiting[kind].push(() => operation().then(resolve, reject));
      void this.next();
    });
  }

  private async next(): Promise<void> {
    if (this.busy) return;
    const operation =
      this.waiting.add.shift() ?? (this.addsComing === 0 ? this.waiting.remove.shift() : undefined);
    if (operation === undefined) return;
    this.busy = true;
    try {
      await operation();
    } finally {
      this.busy = false;
      void this.next();
    }
  }
}
