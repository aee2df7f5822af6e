/**
 * What of a GitHub Markdown text renders as something other than literal text: everything
 * outside code spans (CommonMark: a run of N backticks opens a span that the next run of exactly
 * N backticks closes; a backslash-escaped backtick opens nothing). Lines are read one at a time,
 * which is stricter than GitHub (a span never crosses a line here), so a test that finds a
 * forged string absent from the live text has shown that the string cannot render.
 */
export function liveMarkdown(markdown: string): string {
  return markdown.split("\n").map(liveLine).join("\n");
}

function liveLine(line: string): string {
  let out = "";
  let i = 0;
  while (i < line.length) {
    const char = line[i] as string;
    if (char === "\\") {
      out += line.slice(i, i + 2);
      i += 2;
      continue;
    }
    if (char !== "`") {
      out += char;
      i++;
      continue;
    }
    const open = runLength(line, i);
    const close = closingRun(line, i + open, open);
    if (close < 0) {
      out += line.slice(i, i + open);
      i += open;
      continue;
    }
    out += " ";
    i = close + open;
  }
  return out;
}

function runLength(line: string, at: number): number {
  let end = at;
  while (line[end] === "`") end++;
  return end - at;
}

function closingRun(line: string, from: number, length: number): number {
  let k = from;
  while (k < line.length) {
    if (line[k] !== "`") {
      k++;
      continue;
    }
    const run = runLength(line, k);
    if (run === length) return k;
    k += run;
  }
  return -1;
}

/** The cells of a Markdown table row as GitHub splits it: at every `|` not escaped by a backslash. */
export function tableCells(row: string): string[] {
  const cells: string[] = [];
  let current = "";
  for (let i = 0; i < row.length; i++) {
    const char = row[i] as string;
    if (char === "\\" && row[i + 1] === "|") {
      current += "\\|";
      i++;
    } else if (char === "|") {
      cells.push(current);
      current = "";
    } else current += char;
  }
  cells.push(current);
  // A row starts and ends with a pipe: drop the empty ends.
  return cells.slice(1, -1);
}
