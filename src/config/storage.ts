// Off-site storage settings: LIFEBOAT_STORAGE_URL=s3://bucket/prefix, LIFEBOAT_S3_ENDPOINT for non-AWS
// servers, LIFEBOAT_S3_REGION (default us-east-1). Credentials come from the standard AWS variables
// (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_PROFILE), never from Lifeboat's file.
// LIFEBOAT_S3_CONDITIONAL_WRITES: auto (default), 1 or 0 (see stores/s3.ts). LIFEBOAT_S3_LIMIT_UPLOAD and
// _DOWNLOAD (KiB/s, as restic's --limit-upload) and _REQUESTS (per second) cap what the copies take.
import { UsageError } from '../shared/errors.js';
import { redactUrl } from '../shared/redact.js';
import type { ConditionalWrites } from '../stores/s3.js';
import type { RateLimits } from '../stores/rate-limit.js';

export interface OffsiteSettings {
  /** The setting as written, e.g. s3://backups/shop-one */
  url: string;
  bucket: string;
  /** Folder inside the bucket, without slashes at either end ('' for the top). */
  prefix: string;
  endpoint?: string;
  region: string;
  /** If-None-Match on manifest writes. */
  conditionalWrites: ConditionalWrites;
  /** Caps on the bucket's bytes and requests; absent when none is set. */
  limits?: RateLimits;
}

/** The LIFEBOAT_S3_LIMIT_* values as written: KiB/s for bytes, a count per second for requests. */
export interface StorageLimitInput {
  upload?: string;
  download?: string;
  requests?: string;
}

function positive(name: string, value: string | undefined, unit: string): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const number = Number(value.trim());
  if (!Number.isFinite(number) || number <= 0) throw new UsageError(`${name} must be a number above 0 (${unit}), e.g. 2048; got "${value}"`);
  return number;
}

function parseLimits(input: StorageLimitInput): RateLimits | undefined {
  const upload = positive('LIFEBOAT_S3_LIMIT_UPLOAD', input.upload, 'KiB/s');
  const download = positive('LIFEBOAT_S3_LIMIT_DOWNLOAD', input.download, 'KiB/s');
  const requests = positive('LIFEBOAT_S3_LIMIT_REQUESTS', input.requests, 'requests per second');
  if (upload === undefined && download === undefined && requests === undefined) return undefined;
  return {
    ...(upload !== undefined ? { uploadBytesPerSecond: upload * 1024 } : {}),
    ...(download !== undefined ? { downloadBytesPerSecond: download * 1024 } : {}),
    ...(requests !== undefined ? { requestsPerSecond: requests } : {}),
  };
}

const CONDITIONAL_WRITES: Record<string, ConditionalWrites> = { auto: 'auto', '1': 'on', on: 'on', true: 'on', '0': 'off', off: 'off', false: 'off' };

const EXAMPLE = 'e.g. s3://my-backups/shop-one';

export function parseStorageSettings(
  url: string | undefined,
  endpoint: string | undefined,
  region: string | undefined,
  conditionalWrites?: string,
  limitInput: StorageLimitInput = {},
): OffsiteSettings | undefined {
  const limits = parseLimits(limitInput);
  if (url === undefined) {
    if (limits) throw new UsageError(`LIFEBOAT_S3_LIMIT_* is set but LIFEBOAT_STORAGE_URL is not: set it too, ${EXAMPLE}, or remove the limit`);
    if (endpoint !== undefined) throw new UsageError(`LIFEBOAT_S3_ENDPOINT is set but LIFEBOAT_STORAGE_URL is not: set it too, ${EXAMPLE}`);
    return undefined;
  }
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(url.trim());
  if (!match) throw new UsageError(`LIFEBOAT_STORAGE_URL must be s3://BUCKET[/PREFIX] with a valid bucket name, ${EXAMPLE}; got "${redactUrl(url)}"`);
  const prefix = (match[2] ?? '').replace(/^\/+|\/+$/g, '');
  if (prefix.split('/').some((part) => part === '.' || part === '..')) throw new UsageError(`LIFEBOAT_STORAGE_URL: the prefix must not hold "." or ".." parts, ${EXAMPLE}`);
  if (endpoint !== undefined && !/^https?:\/\/[^/\s]+\/?$/.test(endpoint.trim())) {
    throw new UsageError(`LIFEBOAT_S3_ENDPOINT must be http(s)://host[:port], e.g. http://127.0.0.1:9000; got "${redactUrl(endpoint)}"`);
  }
  if (region !== undefined && !/^[a-z0-9-]+$/.test(region.trim())) throw new UsageError(`LIFEBOAT_S3_REGION must be a region name, e.g. us-east-1; got "${region}"`);
  const conditional = CONDITIONAL_WRITES[(conditionalWrites ?? 'auto').trim().toLowerCase()];
  if (!conditional) throw new UsageError(`LIFEBOAT_S3_CONDITIONAL_WRITES must be auto, 1 or 0; got "${conditionalWrites}"`);
  return {
    url: url.trim(),
    bucket: match[1],
    prefix,
    ...(endpoint !== undefined ? { endpoint: endpoint.trim().replace(/\/$/, '') } : {}),
    region: region?.trim() ?? 'us-east-1',
    conditionalWrites: conditional,
    ...(limits ? { limits } : {}),
  };
}
