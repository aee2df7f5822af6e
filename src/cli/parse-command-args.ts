import { parseArgs, type ParseArgsConfig } from "node:util";
import { closestMatch } from "../core/closest-match.js";
import { CliError } from "./cli-error.js";

/**
 * `node:util` parseArgs with strict checking, its errors turned into CliErrors with plain
 * messages (node's own mention "positional arguments" and internal codes). A mistyped option
 * names the command's nearest one: `unknown option --paralel (did you mean --parallel?)`.
 */
export function parseCommandArgs<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs<T>({ strict: true, ...config });
  } catch (error) {
    throw toCliError(error, Object.keys(config.options ?? {}));
  }
}

function toCliError(error: unknown, optionNames: readonly string[]): Error {
  if (!(error instanceof Error)) return new CliError(String(error));
  const code = (error as { code?: unknown }).code;
  const quoted = /'([^']+)'/.exec(error.message)?.[1];
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && quoted !== undefined)
    return new CliError(`unknown option ${quoted}${suggestion(quoted, optionNames)}`);
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

/** ` (did you mean --parallel?)` for a long option close to one the command has, else "". */
function suggestion(option: string, optionNames: readonly string[]): string {
  if (!option.startsWith("--")) return "";
  // Compared without the dashes, so the typo limit (a third of the length) counts only the name.
  const closest = closestMatch(option.slice(2), optionNames);
  return closest === undefined ? "" : ` (did you mean --${closest}?)`;
}
