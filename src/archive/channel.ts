// A queue between a producer (a worker thread's messages) and one async consumer.

/** Items pushed by a producer, taken in order by one consumer; `onConsumed` runs as it asks for the next. */
export class Channel<T> {
  private readonly items: T[] = [];
  private ended = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;

  constructor(private readonly onConsumed: (item: T) => void) {}

  push(item: T): void {
    this.items.push(item);
    this.wake?.();
  }

  end(failure?: Error): void {
    if (this.ended) return;
    this.ended = true;
    this.failure = failure;
    this.wake?.();
  }

  async *take(signal?: AbortSignal): AsyncGenerator<T> {
    for (;;) {
      signal?.throwIfAborted();
      const item = this.items.shift();
      if (item !== undefined) {
        yield item;
        this.onConsumed(item);
        continue;
      }
      if (this.failure) throw this.failure;
      if (this.ended) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }
}
