// Retries around any ObjectStore: a request that failed for a reason that passes (a busy NFS server, a
// connection reset) is tried again after an exponential back-off with full jitter, and a read whose
// stream broke half-way is resumed from the byte where it stopped (a ranged get of the rest), so the
// reader sees one whole stream. What counts as passing is the policy's, per store: the S3 client already
// retries its requests (the SDK's "standard" mode, 5 attempts, each multipart part included), so S3's
// policy resumes broken reads only, which the SDK cannot; the local folder's retries its calls too.
// A put is never retried here: its source is a stream, which cannot be read twice.
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { StoreDecorator } from './decorator.js';
import type { ByteRange, ObjectStore, PutOptions } from './store.js';

/** Where an error happened: a request (open, stat, list, remove) or the body of a read already open. */
export type FailurePlace = 'request' | 'read';

export interface RetryPolicy {
  /** Tries per request or per resumed read, the first included. */
  attempts: number;
  /** Back-off before the second try; doubled for each further one, up to `maxDelayMs`. */
  firstDelayMs: number;
  maxDelayMs: number;
  /** Whether `error`, met at `place`, may pass when tried again. */
  isTransient(error: unknown, place: FailurePlace): boolean;
}

/** The back-off before try `attempt` (2, 3, ...): a random time up to the doubled delay ("full jitter"). */
function backoffMs(policy: Pick<RetryPolicy, 'firstDelayMs' | 'maxDelayMs'>, attempt: number, random = Math.random): number {
  return random() * Math.min(policy.maxDelayMs, policy.firstDelayMs * 2 ** (attempt - 2));
}

const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ERR_STREAM_PREMATURE_CLOSE']);

/** A connection that broke or timed out (a read's body cut off by the network, not an answer of the server). */
export function isNetworkError(error: unknown): boolean {
  const { code, message } = error as { code?: unknown; message?: unknown };
  return (typeof code === 'string' && NETWORK_CODES.has(code)) || message === 'aborted' || message === 'socket hang up';
}

const PASSING_FILE_ERRORS = new Set(['EAGAIN', 'EBUSY', 'EINTR', 'ETIMEDOUT', 'ESTALE']);

/** File system errors that pass (an NFS or SMB backup folder that is busy, a stale handle reopened). */
export function isPassingFileError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code !== undefined && PASSING_FILE_ERRORS.has(code);
}

export class RetryingStore extends StoreDecorator {
  constructor(
    inner: ObjectStore,
    private readonly policy: RetryPolicy,
  ) {
    super(inner);
  }

  /** Stat, list, remove and the opening of a read, tried again while they fail with a passing error. */
  protected override async request<T>(request: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await request();
      } catch (error) {
        if (attempt >= this.policy.attempts || !this.policy.isTransient(error, 'request')) throw error;
        await sleep(backoffMs(this.policy, attempt + 1));
      }
    }
  }

  override put(key: string, source: AsyncIterable<Buffer> | Readable, options?: PutOptions): Promise<{ size: number }> {
    return this.inner.put(key, source, options);
  }

  override async get(key: string, range?: ByteRange): Promise<Readable> {
    const first = await this.request(() => this.inner.get(key, range));
    return Readable.from(this.resumed(key, first, range?.offset ?? 0, range?.length), { objectMode: false });
  }

  /** The bytes of `stream`, then, when it breaks with a passing error, of a new read from where it broke. */
  private async *resumed(key: string, first: Readable, offset: number, length: number | undefined): AsyncGenerator<Buffer> {
    let stream = first;
    let failures = 0;
    try {
      for (;;) {
        try {
          for await (const chunk of stream) {
            offset += (chunk as Buffer).length;
            if (length !== undefined) length -= (chunk as Buffer).length;
            failures = 0;
            yield chunk as Buffer;
          }
          return;
        } catch (error) {
          stream.destroy();
          if (++failures >= this.policy.attempts || !this.policy.isTransient(error, 'read')) throw error;
          if (length === 0) return;
          await sleep(backoffMs(this.policy, failures + 1));
          stream = await this.request(() => this.inner.get(key, { offset, length }));
        }
      }
    } finally {
      stream.destroy();
    }
  }
}
