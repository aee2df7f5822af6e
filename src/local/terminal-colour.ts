/**
 * Colour for the CLI's status words, as plain ANSI codes (no library: four colours and a reset).
 * On only where a person reads it: stdout is a terminal and NO_COLOR is not set; FORCE_COLOR
 * turns it on anywhere (CI logs that render colour). As in Node's own rule, FORCE_COLOR wins
 * over NO_COLOR, and FORCE_COLOR=0 (or "false") turns colour off.
 */

export type Tone = "good" | "bad" | "warn" | "muted" | "active";

/** Colours a piece of text; the identity when colour is off. */
export type Paint = (text: string, tone: Tone | undefined) => string;

const CODES: Record<Tone, string> = {
  good: "\x1b[32m",
  bad: "\x1b[31m",
  warn: "\x1b[33m",
  muted: "\x1b[2m",
  active: "\x1b[36m",
};
const RESET = "\x1b[0m";

export function colourWanted(args: { isTTY: boolean; env: NodeJS.ProcessEnv }): boolean {
  const force = args.env.FORCE_COLOR;
  if (force !== undefined) return force !== "0" && force.toLowerCase() !== "false";
  const noColour = args.env.NO_COLOR;
  if (noColour !== undefined && noColour !== "") return false;
  return args.isTTY;
}

export function painter(enabled: boolean): Paint {
  if (!enabled) return (text) => text;
  return (text, tone) => (tone === undefined || text === "" ? text : `${CODES[tone]}${text}${RESET}`);
}

/** The same Paint for everyone who does not ask for colour. */
export const noPaint: Paint = painter(false);

/** The tone of a task's status word, wherever it is shown. */
export function statusTone(status: string): Tone | undefined {
  switch (status) {
    case "succeeded":
      return "good";
    case "failed":
      return "bad";
    case "skipped":
    case "cancelled":
    case "stopped":
      return "warn";
    case "running":
      return "active";
    case "pending":
    case "not run":
      return "muted";
    default:
      return undefined;
  }
}

// eslint-disable-next-line no-control-regex -- the escape character is what is matched
const SGR = /\x1b\[[0-9;]*m/g;

/** `text` without its colour codes: what the reader sees. */
export function visibleText(text: string): string {
  return text.replace(SGR, "");
}

/**
 * Cuts a line that may hold colour codes to `width` visible characters (ending in "…" when cut),
 * never inside a code, and ends any colour it cut off.
 */
export function cutVisible(text: string, width: number): string {
  if (visibleText(text).length <= width) return text;
  let out = "";
  let shown = 0;
  let index = 0;
  while (index < text.length && shown < width - 1) {
    SGR.lastIndex = index;
    const code = text.startsWith("\x1b[", index) ? SGR.exec(text) : null;
    if (code !== null && code.index === index) {
      out += code[0];
      index += code[0].length;
      continue;
    }
    out += text.charAt(index);
    shown++;
    index++;
  }
  return `${out}…${text.includes("\x1b[") ? RESET : ""}`;
}
