import type { Command } from "./command.js";
import { initCommand } from "./init-command.js";
import { planCommand } from "./plan-command.js";
import { runCliCommand } from "./run-command.js";
import { serveCommand } from "./serve-command.js";
import { validateCommand } from "./validate-command.js";

/** Every `orchestrator` subcommand, in the order `--help` lists them. */
export const commands: readonly Command[] = [
  initCommand,
  validateCommand,
  planCommand,
  runCliCommand,
  serveCommand,
];
