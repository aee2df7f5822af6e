/**
 * What a scripted model sees and may answer. A script is a plain function of the conversation so
 * far; it needs no state of its own because every Messages API request carries the whole
 * conversation.
 */

export interface ApiContentBlock {
  type: string;
  text?: string;
  tool_use_id?: string;
  content?: unknown;
  is_error?: boolean;
  [key: string]: unknown;
}

export interface ApiMessage {
  role: string;
  content: string | ApiContentBlock[];
}

export interface ToolResult {
  toolUseId: string;
  /** The tool's output as text (what the CLI sent back). */
  content: string;
  isError: boolean;
}

export interface ScriptContext {
  model: string;
  /** The top-level system prompt, text blocks joined. */
  system: string;
  messages: readonly ApiMessage[];
  /** The task prompt: the first user message's text, without the CLI's <system-reminder> blocks. */
  prompt: string;
  /** Assistant turns already in this conversation: 0 for its first request. */
  turn: number;
  /** Whether the latest user message carries tool results (the CLI ran our tool calls). */
  hasToolResult: boolean;
  toolResults: readonly ToolResult[];
}

export interface ScriptedUsage {
  inputTokens: number;
  outputTokens: number;
}

export interface ScriptedToolUse {
  name: string;
  input: Record<string, unknown>;
}

export type ScriptedReply =
  /** Tool calls (stop_reason tool_use), optionally after some text. */
  | { toolUse: readonly ScriptedToolUse[]; text?: string; usage?: ScriptedUsage }
  /** A final answer (stop_reason end_turn). */
  | { text: string; usage?: ScriptedUsage }
  /**
   * An API error with this HTTP status, in Anthropic's error shape, with any response headers
   * (`retry-after`, `anthropic-ratelimit-unified-reset`... for a rate or usage limit).
   */
  | { error: { status: number; message: string; headers?: Readonly<Record<string, string>> | undefined } }
  /** Never answer: the request stays open until the server closes. */
  | { hang: true }
  /** Close the connection without an HTTP answer (what a broken proxy or crashed gateway does). */
  | { drop: true };

export type ModelScript = (context: ScriptContext) => ScriptedReply;

export interface FileWritingRule {
  /** The rule applies when the task prompt contains this text. */
  promptIncludes: string;
  /** Written with Claude Code's Write tool; paths relative to the agent's working directory. */
  files: ReadonlyArray<{ path: string; content: string }>;
  /** The final text; defaults to a list of the files written. */
  summary?: string;
}

/**
 * The script most tests and the demo need: the first turn writes the rule's files, the turn
 * after the tool results ends with a summary. A prompt no rule matches gets a final answer that
 * changes nothing, which is how "the agent did nothing" is produced.
 */
export function fileWritingScript(rules: readonly FileWritingRule[]): ModelScript {
  return (context) => {
    const rule = rules.find((candidate) => context.prompt.includes(candidate.promptIncludes));
    if (rule === undefined) return { text: "No scripted rule matches this task; nothing changed." };
    if (context.turn === 0) {
      return {
        toolUse: rule.files.map((file) => ({
          name: "Write",
          input: { file_path: file.path, content: file.content },
        })),
      };
    }
    const failed = context.toolResults.filter((result) => result.isError);
    if (failed.length > 0) {
      return { text: `Could not write the files: ${failed.map((result) => result.content).join("; ")}` };
    }
    return { text: rule.summary ?? `Wrote ${rule.files.map((file) => file.path).join(", ")}.` };
  };
}
