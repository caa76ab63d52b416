// A rate limit around any ObjectStore, as restic's --limit-upload/--limit-download: requests per second
// (a provider that bills or throttles per request), and bytes per second sent (puts) and received
// (gets), so that a copy to the bucket does not take the shop's whole uplink. Each limit is a token
// bucket: up to one second's worth may go at once, then the caller waits for the bucket to fill.
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { StoreDecorator } from './decorator.js';
import type { ByteRange, ObjectStore, PutOptions } from './store.js';

export interface RateLimits {
  requestsPerSecond?: number;
  uploadBytesPerSecond?: number;
  downloadBytesPerSecond?: number;
}

/** Tokens flowing in at `rate` per second, at most `rate` held; a take larger than what is held waits. */
class TokenBucket {
  private tokens: number;
  private last = performance.now();
  /** Takes queue up: each waits for those before it. */
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly rate: number) {
    if (!(rate > 0)) throw new Error(`a rate limit must be above 0, got ${rate}`);
    this.tokens = rate;
  }

  /** Resolves when `count` tokens have been taken (the bucket may go into debt for one large take). */
  take(count: number, signal?: AbortSignal): Promise<void> {
    const turn = this.queue.then(async () => {
      const now = performance.now();
      this.tokens = Math.min(this.rate, this.tokens + ((now - this.last) / 1000) * this.rate);
      this.last = now;
      this.tokens -= count;
      if (this.tokens < 0) await sleep((-this.tokens / this.rate) * 1000, undefined, { signal });
    });
    this.queue = turn.catch(() => undefined);
    return turn;
  }
}

async function* metered(source: AsyncIterable<Buffer> | Readable, bucket: TokenBucket, signal?: AbortSignal): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    await bucket.take((chunk as Buffer).length, signal);
    yield chunk as Buffer;
  }
}

export class RateLimitedStore extends StoreDecorator {
  private readonly requests: TokenBucket | undefined;
  private readonly upload: TokenBucket | undefined;
  private readonly download: TokenBucket | undefined;

  constructor(inner: ObjectStore, limits: RateLimits) {
    super(inner);
    this.requests = limits.requestsPerSecond ? new TokenBucket(limits.requestsPerSecond) : undefined;
    this.upload = limits.uploadBytesPerSecond ? new TokenBucket(limits.uploadBytesPerSecond) : undefined;
    this.download = limits.downloadBytesPerSecond ? new TokenBucket(limits.downloadBytesPerSecond) : undefined;
  }

  protected override async request<T>(run: () => Promise<T>): Promise<T> {
    await this.requests?.take(1);
    return run();
  }

  override put(key: string, source: AsyncIterable<Buffer> | Readable, options?: PutOptions): Promise<{ size: number }> {
    const sent = this.upload ? metered(source, this.upload, options?.signal) : source;
    return this.request(() => this.inner.put(key, sent, options));
  }

  override async get(key: string, range?: ByteRange): Promise<Readable> {
    const stream = await this.request(() => this.inner.get(key, range));
    if (!this.download) return stream;
    const bucket = this.download;
    return Readable.from(
      (async function* () {
        try {
          yield* metered(stream, bucket);
        } finally {
          stream.destroy();
        }
      })(),
      { objectMode: false },
    );
  }
}
