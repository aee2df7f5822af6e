import type { CliIo } from "./cli-io.js";

/** One `orchestrator <name>` subcommand. Adding a command is one entry in `commands.ts`. */
export interface Command {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** Full help, printed by `orchestrator <name> --help`. */
  usage: string;
  /** Returns the exit code (see EXIT). Throws CliError to stop with a message (bad arguments, or work that could not be done). */
  run(argv: string[], io: CliIo): Promise<number>;
}

export const EXIT = {
  ok: 0,
  /** The command ran and found a problem (invalid file, failed task, unreadable input). */
  failed: 1,
  /** The command line itself is wrong. */
  usage: 2,
} as const;
