/** A 1-based line and column in a source text (columns count UTF-16 code units, as editors do). */
export interface SourcePosition {
  line: number;
  column: number;
}

/**
 * Maps string offsets to line and column. The line starts are found once, so mapping many
 * offsets (one per issue) stays cheap on multi-megabyte files.
 */
export function sourcePosition(text: string): (offset: number) => SourcePosition {
  const lineStarts = [0];
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) lineStarts.push(i + 1);
  return (offset) => {
    const clamped = Math.max(0, Math.min(offset, text.length));
    let low = 0;
    let high = lineStarts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if ((lineStarts[middle] as number) <= clamped) low = middle;
      else high = middle - 1;
    }
    return { line: low + 1, column: clamped - (lineStarts[low] as number) + 1 };
  };
}
