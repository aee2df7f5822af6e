import { fileWritingScript, type ModelScript, type ScriptContext } from "./scripted-model-script.js";
import { textkitFiles, type DemoFile } from "./textkit-files.js";

/**
 * The scripted model of the demo. It recognises the task by the working directory Claude Code
 * reports to the model ("Primary working directory: …/.orchestrator/worktrees/<id>"), so the
 * demo keeps working when the example prompts are reworded; a task it does not know gets the
 * default answer of `fileWritingScript` (no change), which the run reports as a failure.
 */
export function demoScript(options: { today: string }): ModelScript {
  const files = textkitFiles(options);
  return (context) => {
    const id = taskIdOf(context);
    const rule: DemoFile[] | undefined = id === undefined ? undefined : files[id];
    if (rule === undefined) return fileWritingScript([])(context);
    return fileWritingScript([{ promptIncludes: "", files: rule, summary: summaryOf(id as string, rule) }])(
      context,
    );
  };
}

const WORKTREE = /\.orchestrator[\\/]worktrees[\\/]([A-Za-z0-9._-]+)/;

function taskIdOf(context: ScriptContext): string | undefined {
  const fromSystem = WORKTREE.exec(context.system)?.[1];
  // Claude Code 2.1 sends its environment block as a message of the conversation, not in `system`.
  return fromSystem ?? WORKTREE.exec(JSON.stringify(context.messages))?.[1];
}

function summaryOf(id: string, files: readonly DemoFile[]): string {
  return `Task ${id}: wrote ${files.map((file) => file.path).join(", ")}.`;
}
