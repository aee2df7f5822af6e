/**
 * Like `Promise.all`, but a failure is reported only once every operation has ended, so nothing
 * is still running (a git command in a checkout) when the caller hears of it. The first failure
 * in argument order wins.
 */
export async function allSettledOrThrow<T extends readonly unknown[] | []>(
  operations: T,
): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const results: ReadonlyArray<PromiseSettledResult<unknown>> = await Promise.allSettled(operations);
  const values: unknown[] = [];
  for (const result of results) {
    if (result.status === "rejected") throw result.reason;
    values.push(result.value);
  }
  return values as { -readonly [K in keyof T]: Awaited<T[K]> };
}
