/**
 * The feedback a revised attempt is prompted with, put together from a review that asked for
 * changes (its body and its comments, each with its file and line) and the text of a `revise`
 * command. Every part is untrusted text written by people (or pasted by them): it goes to the
 * agent as prompt text, like the task's prompt, and is never shown back by the App.
 */

export interface ReviewComment {
  path: string;
  /** The line in the file the comment is on (the last line of a range); absent on an outdated comment. */
  line?: number | null | undefined;
  body: string;
}

export function reviewFeedback(args: {
  reviewer?: string | undefined;
  reviewBody?: string | null | undefined;
  comments?: readonly ReviewComment[] | undefined;
  text?: string | undefined;
}): string {
  const parts: string[] = [];
  const body = args.reviewBody?.trim();
  const comments = args.comments ?? [];
  if (body || comments.length > 0) {
    parts.push(
      args.reviewer ? `Review by @${args.reviewer} (changes requested):` : "Review (changes requested):",
    );
    if (body) parts.push("", body);
    if (comments.length > 0) {
      parts.push("", "Comments on the code:");
      for (const comment of comments) {
        const where = comment.line ? `${comment.path}, line ${comment.line}` : comment.path;
        parts.push("", `- ${where}:`, indent(comment.body.trim()));
      }
    }
  }
  const text = args.text?.trim();
  if (text) {
    if (parts.length > 0) parts.push("");
    parts.push(text);
  }
  return parts.join("\n");
}

function indent(text: string): string {
  return text
    .split("\n")
    .map((line) => (line === "" ? "" : `  ${line}`))
    .join("\n");
}
