export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function max(values: readonly number[]): number {
  return values.reduce((a, b) => Math.max(a, b), Number.NEGATIVE_INFINITY);
}

export function ratio(value: number): string {
  return value.toFixed(3);
}

/**
 * Median wall time and median CPU time of `fn` in milliseconds, after a warm-up so the JIT has
 * done its work. CPU time is what the code costs when the machine is busy with other work (for
 * synchronous code it is close to the wall time of an idle machine; it includes GC threads).
 */
export function medianMs(
  fn: () => void,
  options: { runs: number; warmup?: number },
): { wall: number; cpu: number } {
  for (let i = 0; i < (options.warmup ?? 3); i++) fn();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < options.runs; i++) {
    const cpuStart = process.cpuUsage();
    const start = process.hrtime.bigint();
    fn();
    wall.push(Number(process.hrtime.bigint() - start) / 1e6);
    const used = process.cpuUsage(cpuStart);
    cpu.push((used.user + used.system) / 1000);
  }
  return { wall: median(wall), cpu: median(cpu) };
}
