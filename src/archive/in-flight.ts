// Back-pressure for a worker thread that posts batches to the main thread: it counts the batches the
// main thread has not answered yet, and the worker waits while too many are out, so that memory stays
// bounded when the main thread falls behind.

export class InFlight {
  private count = 0;
  private wake: (() => void) | undefined;

  constructor(private readonly max: number) {}

  /** A batch was posted; waits until fewer than `max` are unanswered. */
  async sent(): Promise<void> {
    this.count++;
    while (this.count >= this.max) await new Promise<void>((resolve) => (this.wake = resolve));
  }

  /** The main thread answered a batch. */
  answered(): void {
    this.count--;
    this.wake?.();
  }
}
