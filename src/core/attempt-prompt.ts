/**
 * The prompt one attempt runs with: the task's own prompt, and the feedback given for this attempt
 * (review comments, a revise request, the answer to the agent's question), said once here for the
 * Action and the local executor. The feedback is untrusted text like the prompt itself; it is
 * fenced off under its own heading so the agent reads it as what was asked of the earlier work.
 */
export function attemptPrompt(prompt: string, feedback: string | undefined): string {
  const text = feedback?.trim();
  if (!text) return prompt;
  return [
    prompt.trimEnd(),
    "",
    "## Feedback on the earlier work",
    "",
    "The branch already holds the work of earlier attempts. Go on from it and address this:",
    "",
    text,
  ].join("\n");
}

/**
 * The feedback of an attempt that goes on from a checkpoint: an earlier attempt ran out of time
 * and its work so far is the branch's last commit (see `src/runner/continue-task-branch.ts`).
 */
export function checkpointFeedback(checkpointAttempt: number | undefined): string {
  const which = checkpointAttempt === undefined ? "An earlier attempt" : `Attempt ${checkpointAttempt}`;
  return (
    `${which} ran out of time before it finished. Its work so far is committed on this branch as a ` +
    `checkpoint (the last commit). Look at what is already done and finish the task from there; do not start over.`
  );
}
