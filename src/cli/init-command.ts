import { publishedActionRef } from "../core/published-action.js";
import { painter, type Paint } from "../local/terminal-colour.js";
import { packageIdentity } from "../package/package-files.js";
import { RepoError, repoRootOf } from "../local/repo-info.js";
import { CliError } from "./cli-error.js";
import { wantsColour } from "./cli-io.js";
import { EXIT, type Command } from "./command.js";
import { checkPrerequisites, type PrerequisiteCheck } from "./init-checks.js";
import {
  STARTER_SCHEMA_FILE,
  STARTER_TASKS_FILE,
  WORKFLOW_FILE,
  existingTasksFile,
  writeStarterSchema,
  writeStarterTasks,
  writeWorkflow,
} from "./init-files.js";
import { parseCommandArgs } from "./parse-command-args.js";

const USAGE = `Usage: orchestrator init [--github]

Set up the repository you are in for orchestrator: write a starter ${STARTER_TASKS_FILE} (two
example tasks, one depending on the other) with its schema ${STARTER_SCHEMA_FILE} at the
repository root, then check what \`orchestrator run\` needs (git identity, Claude Code, a login or
key) and say how to fix anything missing. Files that exist are never overwritten.

Options:
  --github    also write ${WORKFLOW_FILE}, the workflow the GitHub App dispatches
              per task, and say which secret to add
  -h, --help  show this help

Exit codes: 0 done (missing prerequisites are reported, not failures), 1 not in a git repository
or a file could not be written, 2 wrong command line.
`;

export const initCommand: Command = {
  name: "init",
  summary: "write a starter tasks file (and, with --github, the workflow) and check prerequisites",
  usage: USAGE,
  async run(argv, io) {
    const { values } = parseCommandArgs({
      args: argv,
      options: { github: { type: "boolean" }, help: { type: "boolean", short: "h" } },
      allowPositionals: false,
    });
    if (values.help) {
      io.stdout(USAGE);
      return EXIT.ok;
    }
    const env = io.env ?? process.env;
    const paint = painter(wantsColour(io));
    const repoRoot = await findRepoRoot(io.cwd);
    const lines: string[] = [];

    const existing = await existingTasksFile(repoRoot);
    if (existing !== undefined) {
      lines.push(`${paint("•", "muted")} ${existing} exists; left as it is.`);
    } else {
      await writeStarterTasks(repoRoot);
      lines.push(`${paint("✓", "good")} wrote ${STARTER_TASKS_FILE} (2 example tasks; edit their prompts)`);
      const schema = await writeStarterSchema(repoRoot);
      lines.push(
        schema === "written"
          ? `${paint("✓", "good")} wrote ${STARTER_SCHEMA_FILE} (editors check the tasks file with it)`
          : `${paint("•", "muted")} ${STARTER_SCHEMA_FILE} exists; left as it is.`,
      );
    }
    if (values.github) {
      const workflow = await writeWorkflow(repoRoot);
      lines.push(
        workflow === "written"
          ? `${paint("✓", "good")} wrote ${WORKFLOW_FILE} (each task runs ${publishedActionRef(packageIdentity())})`
          : `${paint("•", "muted")} ${WORKFLOW_FILE} exists; left as it is.`,
      );
    }

    const checks = await checkPrerequisites({ repoRoot, cwd: io.cwd, env });
    lines.push("", "Prerequisites:", ...checks.map((check) => formatCheck(check, paint)));
    if (values.github) {
      lines.push(
        "",
        "GitHub: add the repository secret ANTHROPIC_API_KEY (or CLAUDE_CODE_OAUTH_TOKEN, from `claude setup-token`)",
        "under Settings → Secrets and variables → Actions, or: gh secret set ANTHROPIC_API_KEY",
      );
    }
    lines.push("", "Next:", ...nextSteps(values.github === true), "");
    io.stdout(`${lines.join("\n")}\n`);
    return EXIT.ok;
  },
};

async function findRepoRoot(cwd: string): Promise<string> {
  try {
    return await repoRootOf(cwd);
  } catch (error) {
    if (error instanceof RepoError) throw new CliError(error.message, "failed");
    throw error;
  }
}

function formatCheck(check: PrerequisiteCheck, paint: Paint): string {
  const mark =
    check.ok === true ? paint("✓", "good") : check.ok === false ? paint("✗", "bad") : paint("?", "warn");
  return `  ${mark} ${check.what}: ${check.detail}`;
}

function nextSteps(github: boolean): string[] {
  if (github) {
    return [
      `  git add ${STARTER_TASKS_FILE} ${STARTER_SCHEMA_FILE} ${WORKFLOW_FILE} && git commit -m "Add orchestrator" && git push`,
      "  then comment /orchestrate on an issue of the repository (with the GitHub App installed)",
    ];
  }
  return ["  orchestrator validate", "  orchestrator run"];
}
