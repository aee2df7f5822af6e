import { colourWanted } from "../local/terminal-colour.js";

/** Where a command writes, which directory and environment it works in: the real process, or a test's capture. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  cwd: string;
  /** Default: this process's environment. */
  env?: NodeJS.ProcessEnv;
  /** Set when stdout is a terminal: `run` draws its live table there, plain lines elsewhere. */
  terminal?: { columns?: number | undefined; rows?: number | undefined };
  /** Where Ctrl-C comes from; default: this process. Tests and the demo pass their own. */
  signals?: SignalSource;
  /** Called on the second Ctrl-C; default: exit the process at once. */
  forceExit?: (code: number) => void;
}

export interface SignalSource {
  on(signal: "SIGINT" | "SIGTERM", listener: () => void): unknown;
  off(signal: "SIGINT" | "SIGTERM", listener: () => void): unknown;
}

/** Whether a command colours what it writes to stdout: a terminal without NO_COLOR, or FORCE_COLOR. */
export function wantsColour(io: CliIo): boolean {
  return colourWanted({ isTTY: io.terminal !== undefined, env: io.env ?? process.env });
}

export function processIo(): CliIo {
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    cwd: process.cwd(),
    env: process.env,
    ...(process.stdout.isTTY
      ? { terminal: { columns: process.stdout.columns, rows: process.stdout.rows } }
      : {}),
  };
}
