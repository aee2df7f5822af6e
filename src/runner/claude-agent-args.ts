/**
 * The Claude Code CLI's argv for one task. Flag names checked against `claude --help` of the
 * pinned CLI (2.1.330).
 *
 * Permission modes, as they behave in print mode (measured):
 * - `acceptEdits` (our default): file edits (Write, Edit) inside the working directory are
 *   allowed; anything else that would ask (Bash...) is refused unless `allowedTools` names it,
 *   and the refusal shows up in the result's `permission_denials`. Works as root.
 * - `bypassPermissions` (same as `--dangerously-skip-permissions`): everything allowed. The CLI
 *   refuses it when running as root ("cannot be used with root/sudo privileges", exit 1) unless
 *   the environment says it is a sandbox: `IS_SANDBOX=1`. Callers that want it on a root
 *   container pass that variable in `env` deliberately; we never set it on their behalf.
 */

export const PERMISSION_MODES = [
  "acceptEdits",
  "auto",
  "bypassPermissions",
  "manual",
  "dontAsk",
  "plan",
] as const;
export type PermissionMode = (typeof PERMISSION_MODES)[number];

export interface ClaudeArgsOptions {
  model?: string;
  maxTurns?: number;
  maxBudgetUsd?: number;
  allowedTools?: readonly string[];
  /** Tools refused whatever else allows them (a planner's writing tools). */
  disallowedTools?: readonly string[];
  permissionMode?: PermissionMode;
}

export function claudeAgentArgs(options: ClaudeArgsOptions): string[] {
  const args = [
    "--print",
    // stream-json rather than json: the log file then shows each tool call as it happens, and
    // a run that times out still tells us how many turns it took. The last line is the same
    // result message `--output-format json` would print. (--verbose is required with it.)
    "--output-format",
    "stream-json",
    "--verbose",
    "--permission-mode",
    options.permissionMode ?? "acceptEdits",
  ];
  if (options.model !== undefined) args.push("--model", options.model);
  if (options.maxTurns !== undefined) args.push("--max-turns", String(options.maxTurns));
  if (options.maxBudgetUsd !== undefined) args.push("--max-budget-usd", String(options.maxBudgetUsd));
  if (options.disallowedTools !== undefined && options.disallowedTools.length > 0) {
    // One value joined by commas: the flag is variadic too, and only one variadic flag may end argv.
    args.push("--disallowedTools", options.disallowedTools.join(","));
  }
  // Variadic flag, so it goes last; one argv item per tool keeps specs such as
  // "Bash(npm test)" intact (the CLI also splits on commas and spaces).
  if (options.allowedTools !== undefined && options.allowedTools.length > 0) {
    args.push("--allowedTools", ...options.allowedTools);
  }
  return args;
}
