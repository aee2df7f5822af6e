import { criticalPath, criticalPathMinutes, waves } from "../core/task-graph.js";
import { formatIssue, type ValidationIssue } from "../core/validation-issue.js";
import { EXIT, type Command } from "./command.js";
import { loadTasksFile } from "./load-tasks-file.js";
import { parseCommandArgs } from "./parse-command-args.js";
import { CliError } from "./cli-error.js";
import { wantsColour } from "./cli-io.js";
import { painter } from "../local/terminal-colour.js";

const USAGE = `Usage: orchestrator validate [file] [--json]

Check a tasks file: JSON or YAML syntax, fields, dependencies, cycles and branch names.
Every problem is reported at once, with its line and column.

Arguments:
  file        the tasks file (default: tasks/tasks.json, else tasks/tasks.yaml or .yml, at
              the repository root, found from any folder in it; outside git, in this folder)

Options:
  --json      print {"valid": bool, "errors": [{task, field, line, column, message}]}
  -h, --help  show this help

Exit codes: 0 valid, 1 invalid or unreadable, 2 wrong command line.
`;

export const validateCommand: Command = {
  name: "validate",
  summary: "check a tasks file and report every problem with its line and column",
  usage: USAGE,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs({
      args: argv,
      options: { json: { type: "boolean" }, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
    });
    if (values.help) {
      io.stdout(USAGE);
      return EXIT.ok;
    }
    if (positionals.length > 1) throw new CliError(`expected one tasks file, got ${positionals.length}`);
    const { fileName, result } = await loadTasksFile({ cwd: io.cwd, file: positionals[0] });

    if (values.json) {
      const errors = result.ok ? [] : result.issues.map(jsonError);
      io.stdout(`${JSON.stringify({ valid: result.ok, errors }, null, 2)}\n`);
      return result.ok ? EXIT.ok : EXIT.failed;
    }
    const paint = painter(wantsColour(io));
    if (!result.ok) {
      const count = result.issues.length;
      io.stdout(
        result.issues.map((issue) => `${formatIssue(issue)}\n`).join("") +
          `${paint("✗", "bad")} ${fileName}: ${count} problem${count === 1 ? "" : "s"}\n`,
      );
      return EXIT.failed;
    }
    const { graph } = result;
    const lines = result.warnings.map((warning) => `${paint("warning:", "warn")} ${formatIssue(warning)}\n`);
    const taskCount = graph.tasks.length;
    const waveCount = waves(graph).length;
    lines.push(
      `${paint("✓", "good")} ${fileName}: ${taskCount} task${taskCount === 1 ? "" : "s"}, ${waveCount} wave${waveCount === 1 ? "" : "s"}, ` +
        `critical path ${shortPath(criticalPath(graph))} (${formatMinutes(criticalPathMinutes(graph))})\n`,
    );
    io.stdout(lines.join(""));
    return EXIT.ok;
  },
};

/** The `--json` shape: the file is implied by the command line, so it is left out. */
function jsonError({ task, field, line, column, message }: ValidationIssue): Omit<ValidationIssue, "file"> {
  return {
    ...(task !== undefined && { task }),
    ...(field !== undefined && { field }),
    ...(line !== undefined && { line }),
    ...(column !== undefined && { column }),
    message,
  };
}

/** A long path stays one line: its first and last tasks, and how many lie between. */
function shortPath(ids: readonly string[]): string {
  if (ids.length <= 8) return ids.join(" → ");
  return [...ids.slice(0, 3), `… ${ids.length - 5} more …`, ...ids.slice(-2)].join(" → ");
}

function formatMinutes(value: number): string {
  return `${Number.isInteger(value) ? value : value.toFixed(1)} min`;
}
