/**
 * Splits a user-supplied agent command (`--agent "my-agent --fast 'two words'"`) into argv.
 * No shell is involved, so there is nothing to inject into: quotes group words, a backslash
 * escapes the next character (outside single quotes), and that is all. `$VAR`, globs, pipes and
 * redirections are passed through as literal text.
 */

export class AgentCommandError extends Error {
  override readonly name = "AgentCommandError";
}

export function parseAgentCommand(command: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quote: "'" | '"' | undefined;

  for (let i = 0; i < command.length; i++) {
    const char = command.charAt(i);
    if (quote === "'") {
      if (char === "'") quote = undefined;
      else word += char;
      continue;
    }
    if (char === "\\") {
      const next = command.charAt(i + 1);
      if (next === "") throw new AgentCommandError(`Agent command ends with a lone backslash: ${command}`);
      // Inside double quotes only \" and \\ are escapes, as in POSIX shells ("C:\dir" stays as typed).
      if (quote === '"' && next !== '"' && next !== "\\") {
        word += char;
      } else {
        word += next;
        i++;
      }
      inWord = true;
      continue;
    }
    if (quote === '"') {
      if (char === '"') quote = undefined;
      else word += char;
      continue;
    }
    if (char === "'" || char === '"') {
      quote = char;
      inWord = true;
    } else if (/\s/.test(char)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else {
      word += char;
      inWord = true;
    }
  }

  if (quote !== undefined)
    throw new AgentCommandError(`Agent command has an unclosed ${quote} quote: ${command}`);
  if (inWord) words.push(word);
  if (words.length === 0) throw new AgentCommandError("Agent command is empty.");
  return words;
}
