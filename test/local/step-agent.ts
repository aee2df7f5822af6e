import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Project } from "./local-fixtures.js";

/**
 * An agent that does its work in steps the test can see: `commit-then-block` (first run only,
 * armed by `{scratch}/<id>.block`) commits its work, optionally reports a cost line like a
 * wrapper around Claude Code does, writes `{scratch}/<id>.committed` and waits for
 * `{scratch}/<id>.release` (it is killed long before that). Every other run writes `<id>.txt`
 * uncommitted, reports its cost (`cost=USD`) and exits 0.
 */
export const STEP_AGENT = `
import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
const id = process.env.ORCHESTRATOR_TASK_ID;
const prompt = readFileSync(0, "utf8");
const word = (name) => prompt.match(new RegExp(name + "=(\\\\S+)"))?.[1];
const scratch = word("scratch");
appendFileSync(process.env.AGENT_LOG, JSON.stringify({ event: "start", id, pid: process.pid, t: Date.now() }) + "\\n");
const report = (usd) => console.log(JSON.stringify({ type: "result", is_error: false, total_cost_usd: usd, result: "done " + id }));
let blocking = false;
try { renameSync(scratch + "/" + id + ".block", scratch + "/" + id + ".block.used"); blocking = true; } catch {}
if (blocking) {
  writeFileSync(id + "-partial.txt", "half of " + id + "\\n");
  execFileSync("git", ["add", "--all"]);
  execFileSync("git", ["-c", "user.name=Agent", "-c", "user.email=agent@example.invalid", "commit", "-q", "-m", "partial work of " + id]);
  if (/\\bunsaved\\b/.test(prompt)) writeFileSync(id + "-unsaved.txt", "not committed by " + id + "\\n");
  if (word("interim")) report(Number(word("interim")));
  writeFileSync(scratch + "/" + id + ".committed", "");
  const deadline = Date.now() + 120000;
  while (!existsSync(scratch + "/" + id + ".release") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  process.exit(5);
}
writeFileSync(id + ".txt", "work of " + id + "\\n");
report(Number(word("cost") ?? 0));
appendFileSync(process.env.AGENT_LOG, JSON.stringify({ event: "end", id, pid: process.pid, t: Date.now() }) + "\\n");
`;

/** The `--agent` value running STEP_AGENT. */
export async function stepAgent(project: Project): Promise<string> {
  const file = join(project.scratch, "step-agent.mjs");
  await writeFile(file, STEP_AGENT);
  return `"${process.execPath}" "${file}"`;
}
