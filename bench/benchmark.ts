/** One table of results: what `bench/run-all.ts` prints. */
export interface BenchTable {
  title: string;
  columns: string[];
  rows: string[][];
  /** Lines printed under the table: summaries, targets met or missed, how to read it. */
  notes?: string[];
}

/** A benchmark module: `bench/benchmarks.ts` lists them; `npm run bench [-- name…]` runs them. */
export interface Benchmark {
  name: string;
  description: string;
  run(): Promise<BenchTable[]>;
}
