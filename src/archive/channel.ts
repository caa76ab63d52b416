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

/**
 * The items `produce` emits, produced on this thread as they are taken: each emit waits until the
 * consumer took the item (so that the producer is never ahead of the consumer by more than one), and
 * fails once the consumer left.
 */
export async function* producedHere<T>(produce: (emit: (item: T) => Promise<void>) => Promise<void>, signal?: AbortSignal): AsyncGenerator<T> {
  let taken: (() => void) | undefined;
  let stopped = false;
  const channel = new Channel<T>(() => taken?.());
  const producing = produce(async (item) => {
    const wasTaken = new Promise<void>((resolve) => (taken = resolve));
    channel.push(item);
    await wasTaken;
    if (stopped) throw new Error('the consumer stopped reading');
  }).then(
    () => channel.end(),
    (error: Error) => channel.end(error),
  );
  try {
    yield* channel.take(signal);
  } finally {
    stopped = true;
    taken?.();
    await producing;
  }
}
