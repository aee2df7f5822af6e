import { parseSessionOptions } from "../core/session-options.js";
import { CliError } from "./cli-error.js";

/** `--parallel N` of `plan` and `run`, checked by the session options' schema (its limit, its message). */
export function parallelArg(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const parsed = parseSessionOptions({ values: { parallel: text } });
  if (!parsed.ok) throw new CliError(parsed.error);
  return parsed.options.parallel;
}
