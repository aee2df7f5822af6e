import { parseArgs, type ParseArgsConfig } from "node:util";
import { CliError } from "./cli-error.js";

/**
 * `node:util` parseArgs with strict checking, its errors turned into CliErrors with plain
 * messages (node's own mention "positional arguments" and internal codes).
 */
export function parseCommandArgs<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs<T>({ strict: true, ...config });
  } catch (error) {
    throw toCliError(error);
  }
}

function toCliError(error: unknown): Error {
  if (!(error instanceof Error)) return new CliError(String(error));
  const code = (error as { code?: unknown }).code;
  const quoted = /'([^']+)'/.exec(error.message)?.[1];
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && quoted !== undefined)
    return new CliError(`unknown option ${quoted}`);
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && quoted !== undefined) {
    const option = quoted.split(" ")[0] as string;
    return new CliError(
      /argument missing/.test(error.message)
        ? `option ${option} needs a value`
        : `option ${option} takes no value`,
    );
  }
  if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL" && quoted !== undefined)
    return new CliError(`unexpected argument "${quoted}"`);
  if (typeof code === "string" && code.startsWith("ERR_PARSE_ARGS")) return new CliError(error.message);
  return error;
}
