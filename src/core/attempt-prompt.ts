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
