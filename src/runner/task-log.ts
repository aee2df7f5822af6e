import { appendFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { claudeTranscript, transcriptPathFor } from "./claude-transcript.js";

/** An attempt's log: the runner's stage lines and the agent's output, and a readable copy beside it. */

/** The readable copy beside the log, rebuilt from the whole log (every attempt) at each attempt's end. */
export async function writeTranscript(logFile: string | undefined, prompt: string): Promise<void> {
  if (logFile === undefined) return;
  try {
    const log = await readFile(logFile, "utf8");
    await writeFile(transcriptPathFor(logFile), claudeTranscript(log, { prompt }));
  } catch {
    // Like the log: a convenience that must not fail the task.
  }
}

export async function writeLog(logFile: string | undefined, line: string): Promise<void> {
  if (logFile === undefined) return;
  try {
    await mkdir(dirname(logFile), { recursive: true });
    await appendFile(logFile, `${line}\n`);
  } catch {
    // The log is a convenience; a full disk must not fail the task by itself.
  }
}
