// An S3-compatible bucket as an ObjectStore: keys live under `<prefix>/`. Writes stream through
// lib-storage's multipart Upload (parts of `partSize` bytes held in memory, never a full local copy);
// S3 makes an object visible only when its PutObject or CompleteMultipartUpload succeeds, and a failed
// multipart upload is aborted, so a failure leaves nothing listed. Settings that matter for non-AWS
// servers (MinIO, Ceph, R2, s3rver): path-style addressing, checksums only when an operation requires
// them. Retries with exponential back-off and jitter are the SDK's ("standard" retry mode).
// Two server features are used when the server has them: conditional writes (`If-None-Match: *`, for a
// put with `ifAbsent`; a server that answers 501 gets a check-then-write instead) and Object Lock (a delete
// the bucket's retention refuses fails with a line saying until when).
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { s3Location } from './s3-lazy.js';
import { checkKey, ObjectExistsError, ObjectNotFoundError, type ByteRange, type ListOptions, type ObjectStore, type PutOptions, type StoredObject } from './store.js';

// The SDK prints a multi-line notice on Node 20 that its *future* versions will need Node 22. Lifeboat
// pins an SDK version that supports Node 20, and that notice would turn every one-line CLI message into
// ten lines; the user's own setting of the variable still wins.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** The smallest part S3 accepts (except for the last one). */
export const MIN_PART_SIZE = 5 * 1024 * 1024;

export interface S3StoreOptions {
  bucket: string;
  /** Folder inside the bucket ('' for the top); no leading or trailing slash. */
  prefix: string;
  /** For non-AWS servers, e.g. http://127.0.0.1:9000; AWS's own endpoint when left out. */
  endpoint?: string;
  region: string;
  /** Explicit credentials; otherwise the SDK's chain (AWS_ACCESS_KEY_ID, profiles, instance roles). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Bytes per multipart part (at least 5 MiB). */
  partSize?: number;
  /** Parts uploaded at once. */
  queueSize?: number;
  /** Attempts per request, the first included. */
  maxAttempts?: number;
  /**
   * `If-None-Match: *` on puts with `ifAbsent`: 'auto' (the default) sends it and falls back to a
   * check-then-write when the server answers 501; 'on' requires it; 'off' never sends it.
   */
  conditionalWrites?: ConditionalWrites;
}

export type ConditionalWrites = 'auto' | 'on' | 'off';

/** A delete refused by the bucket's Object Lock (retention or legal hold) on the object. */
export class ObjectLockedError extends Error {
  constructor(
    readonly key: string,
    readonly retainUntil: Date | undefined,
    readonly legalHold: boolean,
  ) {
    super(
      retainUntil && retainUntil.getTime() > Date.now()
        ? `object ${key} is locked by the bucket's Object Lock retention until ${retainUntil.toISOString()}; it cannot be deleted before then`
        : `object ${key} is under an Object Lock legal hold; it cannot be deleted until the hold is removed`,
    );
    this.name = 'ObjectLockedError';
  }
}

function statusOf(error: unknown): number | undefined {
  return error instanceof S3ServiceException ? error.$metadata.httpStatusCode : undefined;
}

function isNotFound(error: unknown): boolean {
  if (!(error instanceof S3ServiceException)) return false;
  return error.$metadata.httpStatusCode === 404 || error.name === 'NoSuchKey' || error.name === 'NotFound';
}

export class S3Store implements ObjectStore {
  readonly client: S3Client;
  private readonly prefix: string;
  /** Turned off for this store when the server answered 501 to a conditional write. */
  private conditionalWrites: ConditionalWrites;

  constructor(private readonly options: S3StoreOptions) {
    this.prefix = options.prefix.replace(/^\/+|\/+$/g, '');
    this.conditionalWrites = options.conditionalWrites ?? 'auto';
    this.client = new S3Client({
      region: options.region,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: options.maxAttempts ?? 5,
      retryMode: 'standard',
    });
  }

  get location(): string {
    return s3Location(this.options);
  }

  private objectKey(key: string): string {
    checkKey(key);
    return this.prefix ? `${this.prefix}/${key}` : key;
  }

  async put(key: string, source: AsyncIterable<Buffer> | Readable, options: PutOptions = {}): Promise<{ size: number }> {
    if (options.ifAbsent) return this.putIfAbsent(key, await buffer(source), options.signal);
    let size = 0;
    let sourceError: unknown;
    // Count on the way; the Upload reads the counted stream part by part.
    const counted = Readable.from(
      (async function* () {
        try {
          for await (const chunk of source) {
            size += (chunk as Buffer).length;
            yield chunk as Buffer;
          }
        } catch (error) {
          sourceError = error;
          throw error;
        }
      })(),
      { objectMode: false },
    );
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.options.bucket, Key: this.objectKey(key), Body: counted },
      partSize: Math.max(this.options.partSize ?? MIN_PART_SIZE, MIN_PART_SIZE),
      queueSize: options.partsAtOnce ?? this.options.queueSize ?? 4,
      leavePartsOnError: false,
    });
    const abort = () => void upload.abort().catch(() => undefined);
    options.signal?.addEventListener('abort', abort, { once: true });
    try {
      options.signal?.throwIfAborted();
      await upload.done();
      options.signal?.throwIfAborted();
      return { size };
    } catch (error) {
      // When the source broke, the Upload's cleanup (AbortMultipartUpload) may fail too and hide why.
      throw sourceError ?? error;
    } finally {
      options.signal?.removeEventListener('abort', abort);
      counted.destroy();
    }
  }

  /**
   * One PutObject with `If-None-Match: *`, so S3 itself refuses it when the key exists (412). Only for
   * small objects (manifests): the body is held in memory.
   */
  private async putIfAbsent(key: string, body: Buffer, signal?: AbortSignal): Promise<{ size: number }> {
    if (this.conditionalWrites !== 'off') {
      try {
        await this.client.send(
          new PutObjectCommand({ Bucket: this.options.bucket, Key: this.objectKey(key), Body: body, ContentLength: body.length, IfNoneMatch: '*' }),
          { abortSignal: signal },
        );
        return { size: body.length };
      } catch (error) {
        if (statusOf(error) === 412 || (error as Error).name === 'PreconditionFailed') throw new ObjectExistsError(this.location, key);
        if (statusOf(error) !== 501 && (error as Error).name !== 'NotImplemented') throw error;
        if (this.conditionalWrites === 'on') {
          throw new Error(`${this.location} does not support conditional writes (If-None-Match), which LIFEBOAT_S3_CONDITIONAL_WRITES=1 requires; set it to auto`);
        }
        this.conditionalWrites = 'off';
      }
    }
    // Without conditional writes: check, then write (two writers of one key at once are not told apart).
    if (await this.stat(key)) throw new ObjectExistsError(this.location, key);
    return this.put(key, Readable.from([body]), { signal });
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    if (range?.length === 0) return Readable.from([]);
    const rangeHeader = range ? `bytes=${range.offset}-${range.length !== undefined ? range.offset + range.length - 1 : ''}` : undefined;
    try {
      const answer = await this.client.send(
        new GetObjectCommand({ Bucket: this.options.bucket, Key: this.objectKey(key), ...(rangeHeader ? { Range: rangeHeader } : {}) }),
      );
      // In Node the body is an http.IncomingMessage, a Readable (the SDK's type is a union for browsers).
      return answer.Body as Readable;
    } catch (error) {
      if (isNotFound(error)) throw new ObjectNotFoundError(this.location, key);
      throw error;
    }
  }

  async stat(key: string): Promise<StoredObject | undefined> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.options.bucket, Key: this.objectKey(key) }));
      return { key, size: head.ContentLength ?? 0, modified: head.LastModified ?? new Date(0) };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async list(prefix: string, options: ListOptions = {}): Promise<StoredObject[]> {
    const base = this.prefix ? `${this.prefix}/` : '';
    const found: StoredObject[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.options.bucket,
          Prefix: base + prefix,
          ...(options.shallow ? { Delimiter: '/' } : {}),
          ...(token ? { ContinuationToken: token } : {}),
        }),
      );
      for (const item of page.Contents ?? []) {
        if (!item.Key?.startsWith(base)) continue;
        found.push({ key: item.Key.slice(base.length), size: item.Size ?? 0, modified: item.LastModified ?? new Date(0) });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async remove(key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: this.objectKey(key) }));
    } catch (error) {
      if (statusOf(error) !== 403 && (error as Error).name !== 'AccessDenied') throw error;
      // Object Lock refuses with the same AccessDenied as missing permissions: the object's lock says which.
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.options.bucket, Key: this.objectKey(key) })).catch(() => undefined);
      const until = head?.ObjectLockRetainUntilDate;
      const legalHold = head?.ObjectLockLegalHoldStatus === 'ON';
      if (legalHold || (until && until.getTime() > Date.now())) throw new ObjectLockedError(key, until, legalHold);
      throw new Error(`deleting ${key} in ${this.location} was refused (AccessDenied): allow s3:DeleteObject to Lifeboat's credentials`);
    }
  }

  /** Closes the client's connections. */
  close(): void {
    this.client.destroy();
  }
}
