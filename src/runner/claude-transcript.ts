import { plainLine, withoutUnshowable } from "../core/inert-text.js";

/**
 * A task's log made readable. The log holds Claude Code's stream-json (one JSON message per
 * line) between our own `== ...` lines; the transcript beside it keeps what a person looks for:
 * the prompt's first line, what the agent said, each tool call (`→ Tool(key arg)`) with the first
 * line or size of its result, and the final result (cost, turns, duration, is_error).
 *
 * Everything in it comes from the agent, so it is made inert for a terminal: escape sequences
 * (colours, cursor moves, OSC titles and links) and other control characters are removed, so
 * `cat`-ing the transcript shows text and nothing else.
 */

export const TRANSCRIPT_HEADING = "# Claude Code transcript (readable copy of the .log beside it)";

/** The transcript's path: the log's, with `.txt` in place of `.log`. */
export function transcriptPathFor(logFile: string): string {
  return logFile.endsWith(".log") ? `${logFile.slice(0, -".log".length)}.txt` : `${logFile}.txt`;
}

export function claudeTranscript(log: string, options: { prompt?: string | undefined } = {}): string {
  const out: string[] = [TRANSCRIPT_HEADING];
  if (options.prompt !== undefined) out.push(`Prompt: ${oneLine(firstLine(options.prompt), 300)}`);
  for (const raw of log.split("\n")) {
    const line = raw.trim();
    if (line === "") continue;
    const message = parseObject(line);
    if (message === undefined) {
      // Our own markers (`== running the agent`, `== failed ...`) and the agent's stderr.
      out.push(oneLine(line, 500));
      continue;
    }
    out.push(...messageLines(message));
  }
  return `${out.join("\n")}\n`;
}

type Json = Record<string, unknown>;

function messageLines(message: Json): string[] {
  switch (message.type) {
    case "system":
      if (message.subtype === "init") return [`Session started (model ${oneLine(text(message.model), 80)})`];
      if (message.subtype === "api_retry") return [`API retry: ${oneLine(JSON.stringify(message), 200)}`];
      return [];
    case "assistant":
      return contentOf(message).flatMap(assistantItem);
    case "user":
      return contentOf(message).flatMap(toolResultLines);
    case "result":
      return resultLines(message);
    default:
      return [];
  }
}

function assistantItem(item: Json): string[] {
  if (item.type === "text") {
    const body = multiLine(text(item.text));
    return body === "" ? [] : [`Claude: ${body.split("\n").join("\n  ")}`];
  }
  if (item.type === "tool_use") {
    const input = isObject(item.input) ? item.input : {};
    return [`→ ${oneLine(text(item.name), 60)}(${oneLine(keyArgument(input), 160)})`];
  }
  return [];
}

/** The argument that says what a call does: the command, the file, the pattern, the address. */
function keyArgument(input: Json): string {
  for (const key of [
    "command",
    "file_path",
    "notebook_path",
    "pattern",
    "path",
    "url",
    "query",
    "description",
  ]) {
    if (typeof input[key] === "string") return input[key];
  }
  const first = Object.values(input).find((value) => typeof value === "string");
  return typeof first === "string" ? first : "";
}

function toolResultLines(item: Json): string[] {
  if (item.type !== "tool_result") return [];
  const body = resultText(item.content);
  const lines = body.split("\n").filter((line) => line.trim() !== "");
  const head = lines[0] ?? "";
  const bytes = Buffer.byteLength(body, "utf8");
  const shown =
    lines.length === 0
      ? `(empty)`
      : lines.length === 1 && head.length <= 200
        ? oneLine(head, 200)
        : `${oneLine(head, 120)} … (${bytes} bytes)`;
  return [`  ${item.is_error === true ? "✗ error: " : "← "}${shown}`];
}

/** A tool result's content: a string, or blocks of which the text ones count. */
function resultText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .filter(isObject)
    .map((block) => (block.type === "text" ? text(block.text) : `[${text(block.type)}]`))
    .join("\n");
}

function resultLines(message: Json): string[] {
  const cost =
    typeof message.total_cost_usd === "number" ? `$${message.total_cost_usd.toFixed(4)}` : "cost ?";
  const turns = typeof message.num_turns === "number" ? `${message.num_turns} turns` : "turns ?";
  const duration =
    typeof message.duration_ms === "number" ? `${(message.duration_ms / 1000).toFixed(1)}s` : "duration ?";
  const lines = [
    `Result: ${oneLine(text(message.subtype), 40) || "?"} · ${cost} · ${turns} · ${duration} · is_error ${message.is_error === true}`,
  ];
  const summary = multiLine(text(message.result));
  if (summary !== "") lines.push(`  ${summary.split("\n").join("\n  ")}`);
  if (Array.isArray(message.errors)) {
    for (const error of message.errors) lines.push(`  error: ${oneLine(text(error), 300)}`);
  }
  return lines;
}

function contentOf(message: Json): Json[] {
  const inner = isObject(message.message) ? message.message.content : undefined;
  return Array.isArray(inner) ? inner.filter(isObject) : [];
}

/**
 * ESC-led sequences: CSI (`ESC [ … final`), OSC/DCS/SOS/PM/APC strings (to BEL or ESC \\), and
 * the short ones (`ESC 7`, `ESC c`, `ESC ( B`...); and the one-byte CSI of C1.
 */
const ESCAPE_SEQUENCE =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /\u001b\[[0-?]*[ -/]*[@-~]|\u001b[\]PX^_][^\u0007\u001b]*(?:\u0007|\u001b\\)?|\u001b[ -/]*[0-~]|\u009b[0-?]*[ -/]*[@-~]/g;
/** Agent text kept on several lines, with nothing a terminal would act on (a lone CR becomes a line break). */
function multiLine(value: string): string {
  return withoutUnshowable(value.replace(/\r\n?/g, "\n").replace(ESCAPE_SEQUENCE, "")).trim();
}

function oneLine(value: string, maxLength: number): string {
  return plainLine(value.replace(ESCAPE_SEQUENCE, ""), maxLength);
}

function firstLine(value: string): string {
  return value.split("\n").find((line) => line.trim() !== "") ?? "";
}

function text(value: unknown): string {
  if (typeof value === "string") return value;
  return typeof value === "number" || typeof value === "boolean" ? String(value) : "";
}

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function parseObject(line: string): Json | undefined {
  if (!line.startsWith("{")) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
