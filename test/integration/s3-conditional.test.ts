// S3 features s3rver lacks, tested at the adapter boundary against a small fake S3 server (node:http):
// conditional writes (`If-None-Match: *` answered 412 for an existing key, or 501 by a server without
// them) and Object Lock (a DELETE answered 403 AccessDenied for an object under retention).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ObjectLockedError, S3Store, type ConditionalWrites } from '../../src/stores/s3.js';
import { ObjectExistsError } from '../../src/stores/store.js';
import { readAll } from '../helpers/demo-db.js';

interface FakeObject {
  body: Buffer;
  /** Object Lock retention: the DELETE is refused until then. */
  retainUntil?: Date;
}

/** What the fake does with `If-None-Match: *` on a PUT: honour it (AWS, MinIO, R2) or answer 501. */
type ConditionalSupport = 'honour' | '501';

interface FakeS3 {
  endpoint: string;
  objects: Map<string, FakeObject>;
  /** "METHOD key if-none-match" of every request. */
  requests: string[];
  support: ConditionalSupport;
  stop(): Promise<void>;
}

function s3Error(res: http.ServerResponse, status: number, code: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/xml' });
  res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`);
}

async function startFakeS3(bucket: string): Promise<FakeS3> {
  const fake: Omit<FakeS3, 'endpoint' | 'stop'> = { objects: new Map(), requests: [], support: 'honour' };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const key = decodeURIComponent(url.pathname.slice(`/${bucket}/`.length));
      const condition = req.headers['if-none-match'];
      fake.requests.push(`${req.method} ${key}${condition ? ` if-none-match:${String(condition)}` : ''}`);
      const object = fake.objects.get(key);
      if (req.method === 'PUT') {
        if (condition === '*' && fake.support === '501') return s3Error(res, 501, 'NotImplemented', 'A header you provided implies functionality that is not implemented');
        if (condition === '*' && object) return s3Error(res, 412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
        fake.objects.set(key, { body: Buffer.concat(chunks) });
        res.writeHead(200, { etag: '"fake"' });
        return res.end();
      }
      if (!object) return req.method === 'HEAD' ? (res.writeHead(404), res.end()) : s3Error(res, 404, 'NoSuchKey', 'The specified key does not exist.');
      if (req.method === 'DELETE') {
        if (object.retainUntil && object.retainUntil.getTime() > Date.now()) return s3Error(res, 403, 'AccessDenied', 'Access Denied because object protected by object lock.');
        if (key.startsWith('denied/')) return s3Error(res, 403, 'AccessDenied', 'Access Denied');
        fake.objects.delete(key);
        res.writeHead(204);
        return res.end();
      }
      const headers: http.OutgoingHttpHeaders = { 'content-length': object.body.length, 'last-modified': new Date().toUTCString(), etag: '"fake"' };
      if (object.retainUntil) Object.assign(headers, { 'x-amz-object-lock-mode': 'COMPLIANCE', 'x-amz-object-lock-retain-until-date': object.retainUntil.toISOString() });
      res.writeHead(200, headers);
      res.end(req.method === 'HEAD' ? undefined : object.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(fake, {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

const BUCKET = 'locked-bucket';
let fake: FakeS3;
const stores: S3Store[] = [];

function store(conditionalWrites?: ConditionalWrites): S3Store {
  const created = new S3Store({
    bucket: BUCKET,
    prefix: '',
    endpoint: fake.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'FAKE', secretAccessKey: 'FAKE' },
    maxAttempts: 1,
    ...(conditionalWrites ? { conditionalWrites } : {}),
  });
  stores.push(created);
  return created;
}

const bytes = (text: string) => Readable.from([Buffer.from(text)]);

beforeAll(async () => {
  fake = await startFakeS3(BUCKET);
});

afterAll(async () => {
  for (const s of stores) s.close();
  await fake?.stop();
});

describe('conditional writes (If-None-Match: *)', () => {
  it('writes a new key, and refuses an existing one without replacing it', async () => {
    fake.support = 'honour';
    const s = store();
    await s.put('a.manifest.json', bytes('first'), { ifAbsent: true });
    await expect(s.put('a.manifest.json', bytes('second'), { ifAbsent: true })).rejects.toThrow(ObjectExistsError);
    expect(fake.objects.get('a.manifest.json')?.body.toString()).toBe('first');
    expect(fake.requests.filter((r) => r.startsWith('PUT a.manifest.json'))).toEqual(['PUT a.manifest.json if-none-match:*', 'PUT a.manifest.json if-none-match:*']);
    // A put without ifAbsent replaces, as before.
    await s.put('a.manifest.json', bytes('third'));
    expect((await readAll(await s.get('a.manifest.json'))).toString()).toBe('third');
  });

  it('falls back to check-then-write on a server that answers 501, and remembers it', async () => {
    fake.support = '501';
    fake.requests.length = 0;
    const s = store();
    await s.put('b.manifest.json', bytes('first'), { ifAbsent: true });
    expect(fake.objects.get('b.manifest.json')?.body.toString()).toBe('first');
    await expect(s.put('b.manifest.json', bytes('second'), { ifAbsent: true })).rejects.toThrow(ObjectExistsError);
    expect(fake.objects.get('b.manifest.json')?.body.toString()).toBe('first');
    // One conditional attempt, then HEAD checks only.
    expect(fake.requests).toEqual(['PUT b.manifest.json if-none-match:*', 'HEAD b.manifest.json', 'PUT b.manifest.json', 'HEAD b.manifest.json']);
  });

  it('with LIFEBOAT_S3_CONDITIONAL_WRITES=1, a server without them is an error naming the setting', async () => {
    fake.support = '501';
    await expect(store('on').put('c.manifest.json', bytes('x'), { ifAbsent: true })).rejects.toThrow(/does not support conditional writes.*LIFEBOAT_S3_CONDITIONAL_WRITES=1/);
    expect(fake.objects.has('c.manifest.json')).toBe(false);
  });

  it('with LIFEBOAT_S3_CONDITIONAL_WRITES=0, the header is never sent', async () => {
    fake.support = 'honour';
    fake.requests.length = 0;
    await store('off').put('d.manifest.json', bytes('x'), { ifAbsent: true });
    expect(fake.requests).toEqual(['HEAD d.manifest.json', 'PUT d.manifest.json']);
  });
});

describe('Object Lock', () => {
  it('a delete refused by retention says until when, and the object stays', async () => {
    const until = new Date(Date.now() + 30 * 86_400_000);
    fake.objects.set('1764000000_db.sql.gz', { body: Buffer.from('archive'), retainUntil: until });
    const error = await store()
      .remove('1764000000_db.sql.gz')
      .then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(ObjectLockedError);
    expect((error as Error).message).toBe(
      `object 1764000000_db.sql.gz is locked by the bucket's Object Lock retention until ${until.toISOString()}; it cannot be deleted before then`,
    );
    expect(fake.objects.has('1764000000_db.sql.gz')).toBe(true);
  });

  it('an AccessDenied without a lock is a permissions problem, said so', async () => {
    fake.objects.set('denied/x', { body: Buffer.from('x') });
    await expect(store().remove('denied/x')).rejects.toThrow(/deleting denied\/x in s3:\/\/locked-bucket was refused \(AccessDenied\): allow s3:DeleteObject/);
  });

  it('an expired retention no longer blocks the delete', async () => {
    fake.objects.set('old.sql.gz', { body: Buffer.from('x'), retainUntil: new Date(Date.now() - 1000) });
    await store().remove('old.sql.gz');
    expect(fake.objects.has('old.sql.gz')).toBe(false);
  });
});
