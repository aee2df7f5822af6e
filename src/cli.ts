import { closestMatch } from "./core/closest-match.js";
import { processIo, type CliIo } from "./cli/cli-io.js";
import { EXIT } from "./cli/command.js";
import { commands } from "./cli/commands.js";
import { isMainModule } from "./cli/is-main-module.js";
import { invokeCommand } from "./cli/invoke-command.js";
import { packageVersion } from "./package/package-files.js";

/**
 * `orchestrator <command> [...]`. Returns the exit code instead of exiting, so tests and
 * `bin/orchestrator.js` decide what to do with it, and pending output is flushed.
 */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.stderr(generalUsage());
    return EXIT.usage;
  }
  if (name === "--help" || name === "-h" || name === "help") {
    const topic = rest[0] === undefined ? undefined : commands.find((command) => command.name === rest[0]);
    io.stdout(topic?.usage ?? generalUsage());
    return EXIT.ok;
  }
  if (name === "--version" || name === "-v") {
    io.stdout(`${packageVersion()}\n`);
    return EXIT.ok;
  }
  const command = commands.find((candidate) => candidate.name === name);
  if (command === undefined) {
    const suggestion = closestMatch(
      name,
      commands.map((candidate) => candidate.name),
    );
    const what = name.startsWith("-") ? `unknown option ${name}` : `unknown command "${name}"`;
    io.stderr(
      `orchestrator: ${what}${suggestion === undefined ? "" : ` (did you mean "${suggestion}"?)`}\n\n${generalUsage()}`,
    );
    return EXIT.usage;
  }
  return invokeCommand(command, rest, io);
}

function generalUsage(): string {
  const width = Math.max(...commands.map((command) => command.name.length));
  return [
    "Usage: orchestrator <command> [options]",
    "",
    "Run a dependency graph of Claude Code tasks.",
    "",
    "Commands:",
    ...commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    "",
    'Run "orchestrator <command> --help" for a command\'s options.',
    "",
  ].join("\n");
}

if (isMainModule(import.meta.url)) process.exitCode = await main(process.argv.slice(2));
