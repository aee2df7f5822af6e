import { CliError } from "./cli-error.js";
import { EXIT, type Command } from "./command.js";
import type { CliIo } from "./cli-io.js";

/** Runs one command and turns what it throws into the message and exit code every command shares. */
export async function invokeCommand(command: Command, argv: string[], io: CliIo): Promise<number> {
  try {
    return await command.run(argv, io);
  } catch (error) {
    if (error instanceof CliError) {
      const hint = error.kind === "usage" ? `Run "orchestrator ${command.name} --help" for usage.\n` : "";
      io.stderr(`orchestrator ${command.name}: ${error.message}\n${hint}`);
      return error.kind === "usage" ? EXIT.usage : EXIT.failed;
    }
    io.stderr(
      `orchestrator ${command.name}: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return EXIT.failed;
  }
}
