import type { BenchTable } from "./benchmark.js";

/** Plain-text table: first column left-aligned (labels), the others right-aligned (numbers). */
export function formatTable(table: BenchTable): string {
  const all = [table.columns, ...table.rows];
  const widths = table.columns.map((_, c) => Math.max(...all.map((row) => (row[c] ?? "").length)));
  const line = (row: string[]) =>
    row
      .map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0)))
      .join("  ")
      .trimEnd();
  const rule = widths.map((w) => "-".repeat(w)).join("  ");
  const out = [table.title, "", line(table.columns), rule, ...table.rows.map(line)];
  if (table.notes && table.notes.length > 0) out.push("", ...table.notes);
  return out.join("\n");
}
