// forEachAtMost: every item worked on, never more than the limit at once (counted, not timed), in the
// list's order; the first failure aborts the work still running, and is what the call throws.
import { describe, expect, it } from 'vitest';
import { forEachAtMost } from '../../src/shared/at-most.js';

/** A promise and its resolve, to end a piece of work when the test says so. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open = () => {};
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

describe('forEachAtMost', () => {
  it('works on every item in order, at most `limit` at once', async () => {
    const gates = Array.from({ length: 7 }, gate);
    const started: number[] = [];
    let running = 0;
    let most = 0;
    const done = forEachAtMost([0, 1, 2, 3, 4, 5, 6], 3, undefined, async (i) => {
      started.push(i);
      most = Math.max(most, ++running);
      await gates[i].opened;
      running--;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual([0, 1, 2]);
    gates[1].open();
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual([0, 1, 2, 3]);
    for (const g of gates) g.open();
    await done;
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(most).toBe(3);
  });

  it('on a failure, aborts the work still running, starts no more, and throws the first failure', async () => {
    const started: number[] = [];
    const aborted: number[] = [];
    const failing = forEachAtMost([0, 1, 2, 3, 4], 2, undefined, async (i, signal) => {
      started.push(i);
      if (i === 1) throw new Error('pack 1 failed');
      await new Promise<void>((_, reject) =>
        signal.addEventListener('abort', () => {
          aborted.push(i);
          reject(new Error(`pack ${i} aborted`));
        }),
      );
    });
    await expect(failing).rejects.toThrow(/^pack 1 failed$/);
    expect(started).toEqual([0, 1]);
    expect(aborted).toEqual([0]);
  });

  it("stops when the caller's signal aborts", async () => {
    const caller = new AbortController();
    const run = forEachAtMost([0, 1, 2], 1, caller.signal, (_, signal) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error))));
    caller.abort(new Error('cancelled by the user'));
    await expect(run).rejects.toThrow(/cancelled by the user/);
  });

  it('does nothing for no items', async () => {
    await forEachAtMost([], 4, undefined, () => Promise.reject(new Error('never called')));
  });
});
