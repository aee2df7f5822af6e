/**
 * A logger that keeps every line in memory, for tests that check what the server logs (and what
 * it must never log). Stands in for pino wherever Probot, Octokit or the server call it.
 */
import type { Logger } from "probot";

export interface LogLine {
  level: string;
  bindings: Record<string, unknown>;
  args: unknown[];
}

const LEVELS = ["trace", "debug", "info", "warn", "error", "fatal"] as const;

export function recordingLogger(): {
  logger: Logger;
  lines: LogLine[];
  /** Every line as JSON (errors with their message, stack and own fields, e.g. `event`). */
  text: () => string;
} {
  const lines: LogLine[] = [];
  const make = (bindings: Record<string, unknown>): Logger => {
    const methods: Record<string | symbol, unknown> = {
      level: "trace",
      child: (more: Record<string, unknown>) => make({ ...bindings, ...more }),
      bindings: () => bindings,
      isLevelEnabled: () => true,
      flush: () => undefined,
    };
    for (const level of LEVELS)
      methods[level] = (...args: unknown[]) => lines.push({ level, bindings, args });
    // Anything else pino has (silent, setBindings, …): a no-op.
    return new Proxy(methods, {
      get: (target, key) => (key in target ? target[key] : () => undefined),
      set: (target, key, value) => {
        target[key] = value;
        return true;
      },
    }) as unknown as Logger;
  };
  const text = (): string =>
    JSON.stringify(lines, (_key, value: unknown) =>
      value instanceof Error
        ? { ...value, name: value.name, message: value.message, stack: value.stack }
        : value,
    );
  return { logger: make({}), lines, text };
}
