// Synchronous file-system calls in slices. For many small files, a synchronous lstat or read on the main
// thread costs a microsecond or two, its promise version tens (a round trip to the thread pool and a
// promise each): a tree of 100 k files is read several times faster synchronously. Blocking calls
// must not starve everything else in the process (the web admin, progress, Ctrl-C, gzip members
// finishing on the thread pool), so a walk pauses for the event loop every few milliseconds.
import { setImmediate as nextTurn } from 'node:timers/promises';

export class TimeSlice {
  private since = performance.now();

  constructor(private readonly budgetMs = 8) {}

  /** Whether this slice has used its budget (then pause() lets the event loop run): a check without a promise. */
  get due(): boolean {
    return performance.now() - this.since >= this.budgetMs;
  }

  /** Lets the event loop run when this slice has used its budget. */
  async pause(): Promise<void> {
    if (performance.now() - this.since < this.budgetMs) return;
    await nextTurn();
    this.since = performance.now();
  }
}
