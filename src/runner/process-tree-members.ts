import { readdir, readFile } from "node:fs/promises";

/**
 * Finding every live process of an agent's tree through /proc (Linux), including those that
 * left its process group. A process group alone misses a child that called setsid (or was
 * spawned `detached`): it has a session and group of its own, and once its parent is gone it is
 * re-parented to init, so even the parent link is lost. Three ways in, so one lost link does not
 * lose the process:
 * - its process group is the agent's (what `kill(-pgid)` reaches);
 * - it descends, by parent pid, from the agent or from another member (a setsid child while its
 *   parent lives);
 * - its environment carries the run's marker variable (every process the agent starts inherits
 *   it unless it deliberately clears it), which survives setsid and re-parenting alike.
 * Zombies are left out: they are already dead, and where PID 1 does not reap orphans (minimal
 * containers) they never go away.
 */

/** The variable `runProcessTree` sets to a unique value in the agent's environment. */
export const TREE_MARKER_VAR = "ORCHESTRATOR_PROCESS_TREE";

interface ProcStat {
  pid: number;
  ppid: number;
  pgrp: number;
  state: string;
}

export async function treeMembers(args: { pgid: number; marker?: string | undefined }): Promise<number[]> {
  const entries = await readdir("/proc").catch(() => [] as string[]);
  const pids = entries.filter((entry) => /^\d+$/.test(entry)).map(Number);
  const stats = (await Promise.all(pids.map((pid) => procStat(pid)))).filter(
    (stat): stat is ProcStat => stat !== undefined && stat.state !== "Z" && stat.state !== "X",
  );
  const needle = args.marker === undefined ? undefined : `${TREE_MARKER_VAR}=${args.marker}`;
  const members = new Set<number>();
  await Promise.all(
    stats.map(async (stat) => {
      if (stat.pid === process.pid) return;
      // The leader is in its group while it lives; its pid alone, once it is gone, may be reused.
      if (stat.pgrp === args.pgid) members.add(stat.pid);
      else if (needle !== undefined && (await hasEnvEntry(stat.pid, needle))) members.add(stat.pid);
    }),
  );
  // Descendants by parent pid, to a fixed point (bounded by the number of processes).
  const childrenOf = new Map<number, number[]>();
  for (const stat of stats) childrenOf.set(stat.ppid, [...(childrenOf.get(stat.ppid) ?? []), stat.pid]);
  const queue = [...members];
  while (queue.length > 0) {
    const parent = queue.pop() as number;
    for (const child of childrenOf.get(parent) ?? []) {
      if (child === process.pid || members.has(child)) continue;
      members.add(child);
      queue.push(child);
    }
  }
  return [...members];
}

/** Whether /proc can be read here; elsewhere only the process group is reachable. */
export const canReadProc = process.platform === "linux";

async function procStat(pid: number): Promise<ProcStat | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so read after the last ")".
    const [state = "", ppid = "", pgrp = ""] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { pid, ppid: Number(ppid), pgrp: Number(pgrp), state };
  } catch {
    return undefined; // ended while we looked
  }
}

async function hasEnvEntry(pid: number, needle: string): Promise<boolean> {
  try {
    return (await readFile(`/proc/${pid}/environ`, "utf8")).split("\0").includes(needle);
  } catch {
    return false; // ended, or not ours to read (then not ours to kill either)
  }
}
