// Work on a list of items with at most a few at once (an upload's packs): each item is started as an
// earlier one ends, in the list's order. The first failure aborts the others (through the signal their
// work is given) and is thrown once they have all ended, so nothing keeps running after the call returns.

/** Runs `work` on every item, at most `limit` at once; `signal` (the caller's) aborts them all. */
export async function forEachAtMost<T>(items: readonly T[], limit: number, signal: AbortSignal | undefined, work: (item: T, signal: AbortSignal) => Promise<void>): Promise<void> {
  const stop = new AbortController();
  const both = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (next < items.length && !failure && !both.aborted) {
      const item = items[next++];
      try {
        await work(item, both);
      } catch (error) {
        // The first failure is the cause; the others' failures are (mostly) the abort it caused.
        failure ??= { error };
        stop.abort(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
  signal?.throwIfAborted();
}
