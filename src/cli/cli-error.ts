/**
 * The one error a command throws to stop with a message for the user. `usage`: the command line
 * is wrong (exit 2, with a pointer to `--help`); `failed`: the command could not do its work
 * (exit 1). Anything else a command throws is a bug, reported with its stack.
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly kind: "usage" | "failed" = "usage",
  ) {
    super(message);
    this.name = "CliError";
  }
}
