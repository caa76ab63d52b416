// Encryption at rest: AES-256-GCM in independent chunks, streamed, so a byte range can be decrypted by
// reading only the chunks that hold it. Layout:
//   header (68 bytes): "LBOATENC" | version 1 | kdf (0 raw key, 1 scrypt) | log2 N, r, p | 3 zero bytes |
//                      chunk size (uint32 BE) | salt (16) | file nonce (16) | key check (16)
//   chunks: ciphertext of `chunk size` plaintext bytes (the last may be shorter) + 16-byte tag.
// Per file, key = HKDF-SHA256(master key, file nonce); chunk i's nonce = 4 zero bytes + i (uint64 BE).
// Each chunk's AAD is the header + i + a final-chunk flag, so chunks cannot be reordered, dropped, cut
// off at the end or moved to another file without the tag failing. The key check (an HMAC of the file
// key) tells a wrong key apart from a changed archive.
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, scrypt as scryptCallback, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Transform, type TransformCallback } from 'node:stream';

const MAGIC = Buffer.from('LBOATENC', 'ascii');
export const HEADER_SIZE = 68;
const TAG_SIZE = 16;
export const DEFAULT_CHUNK_SIZE = 1 << 20;
const SCRYPT = { logN: 15, r: 8, p: 1 };

/** The secret from LIFEBOAT_ENCRYPTION_KEY_FILE: 32 random bytes, or a passphrase (scrypt with a per-file salt). */
export type EncryptionSecret = { kind: 'key'; key: Buffer } | { kind: 'passphrase'; passphrase: Buffer };

/** A wrong key, a changed or a cut-off archive: the message is one line meant for the user. */
export class DecryptionError extends Error {
  override name = 'DecryptionError';
}

/** Reads a key file: exactly 32 bytes is a raw key; anything else is a passphrase (trailing newline dropped). */
export async function loadEncryptionSecret(file: string): Promise<EncryptionSecret> {
  return parseEncryptionSecret(await readFile(file), file);
}

/** The secret of a key file's content (see loadEncryptionSecret); `file` names it in the error. */
export function parseEncryptionSecret(content: Buffer, file: string): EncryptionSecret {
  if (content.length === 32) return { kind: 'key', key: content };
  const passphrase = Buffer.from(content.toString('utf8').replace(/\r?\n$/, ''), 'utf8');
  if (passphrase.length < 12) throw new Error(`the encryption key file ${file} must hold 32 random bytes or a passphrase of at least 12 characters`);
  return { kind: 'passphrase', passphrase };
}

interface Header {
  bytes: Buffer;
  chunkSize: number;
  key: Buffer;
}

function scrypt(passphrase: Buffer, salt: Buffer, logN: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCallback(passphrase, salt, 32, { N: 2 ** logN, r, p, maxmem: 256 * 2 ** logN * r }, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

async function fileKey(secret: EncryptionSecret, salt: Buffer, nonce: Buffer, kdf: { logN: number; r: number; p: number }): Promise<Buffer> {
  const master = secret.kind === 'key' ? secret.key : await scrypt(secret.passphrase, salt, kdf.logN, kdf.r, kdf.p);
  return Buffer.from(hkdfSync('sha256', master, nonce, 'lifeboat archive v1', 32));
}

function keyCheck(key: Buffer): Buffer {
  return createHmac('sha256', key).update('lifeboat key check').digest().subarray(0, 16);
}

async function newHeader(secret: EncryptionSecret, chunkSize: number): Promise<Header> {
  const bytes = Buffer.alloc(HEADER_SIZE);
  MAGIC.copy(bytes, 0);
  bytes[8] = 1;
  bytes[9] = secret.kind === 'key' ? 0 : 1;
  bytes[10] = SCRYPT.logN;
  bytes[11] = SCRYPT.r;
  bytes[12] = SCRYPT.p;
  bytes.writeUInt32BE(chunkSize, 16);
  const salt = randomBytes(16);
  const nonce = randomBytes(16);
  salt.copy(bytes, 20);
  nonce.copy(bytes, 36);
  const key = await fileKey(secret, salt, nonce, SCRYPT);
  keyCheck(key).copy(bytes, 52);
  return { bytes, chunkSize, key };
}

/** Parses and checks a header; a DecryptionError for a file that is not ours or a wrong key. */
export async function readHeader(secret: EncryptionSecret, bytes: Buffer): Promise<Header> {
  if (bytes.length < HEADER_SIZE || !bytes.subarray(0, 8).equals(MAGIC)) throw new DecryptionError('not a Lifeboat-encrypted archive (no LBOATENC header)');
  if (bytes[8] !== 1) throw new DecryptionError(`unknown encryption format version ${bytes[8]}`);
  const kdf = bytes[9];
  if ((kdf === 0) !== (secret.kind === 'key')) {
    throw new DecryptionError(`wrong key: the archive was encrypted with ${kdf === 0 ? 'a 32-byte key file' : 'a passphrase'}`);
  }
  const chunkSize = bytes.readUInt32BE(16);
  if (chunkSize < 1024 || chunkSize > 64 << 20) throw new DecryptionError(`the encryption header is damaged (chunk size ${chunkSize})`);
  if (bytes[10] > 20 || bytes[11] > 32 || bytes[12] > 16) throw new DecryptionError('the encryption header is damaged (key derivation settings)');
  const header = bytes.subarray(0, HEADER_SIZE);
  const key = await fileKey(secret, header.subarray(20, 36), header.subarray(36, 52), { logN: bytes[10], r: bytes[11], p: bytes[12] });
  if (!timingSafeEqual(keyCheck(key), header.subarray(52, 68))) throw new DecryptionError('wrong key: LIFEBOAT_ENCRYPTION_KEY_FILE is not the key this archive was encrypted with');
  return { bytes: Buffer.from(header), chunkSize, key };
}

function chunkNonce(index: number): Buffer {
  const nonce = Buffer.alloc(12);
  nonce.writeBigUInt64BE(BigInt(index), 4);
  return nonce;
}

function chunkAad(header: Header, index: number, final: boolean): Buffer {
  const tail = Buffer.alloc(9);
  tail.writeBigUInt64BE(BigInt(index), 0);
  tail[8] = final ? 1 : 0;
  return Buffer.concat([header.bytes, tail]);
}

function sealChunk(header: Header, index: number, final: boolean, plain: Buffer): Buffer {
  const cipher = createCipheriv('aes-256-gcm', header.key, chunkNonce(index));
  cipher.setAAD(chunkAad(header, index, final));
  return Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
}

function openChunk(header: Header, index: number, final: boolean, sealed: Buffer): Buffer {
  if (sealed.length < TAG_SIZE) throw new DecryptionError(`the archive is truncated (chunk ${index} is cut off)`);
  const decipher = createDecipheriv('aes-256-gcm', header.key, chunkNonce(index));
  decipher.setAAD(chunkAad(header, index, final));
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_SIZE));
  try {
    return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - TAG_SIZE)), decipher.final()]);
  } catch {
    throw new DecryptionError(
      final ? `the archive was changed or truncated (chunk ${index} fails its authentication as the last chunk)` : `the archive was changed (chunk ${index} fails its authentication)`,
    );
  }
}

/** Plaintext in, header + sealed chunks out. */
export async function createEncryptor(secret: EncryptionSecret, chunkSize = DEFAULT_CHUNK_SIZE): Promise<Transform> {
  const header = await newHeader(secret, chunkSize);
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let index = 0;
  let started = false;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      if (!started) {
        this.push(header.bytes);
        started = true;
      }
      pending.push(chunk);
      pendingBytes += chunk.length;
      // Keep at least one byte back: only the end of the stream says which chunk is the last.
      if (pendingBytes > chunkSize) {
        let all = Buffer.concat(pending);
        while (all.length > chunkSize) {
          this.push(sealChunk(header, index++, false, all.subarray(0, chunkSize)));
          all = all.subarray(chunkSize);
        }
        pending = [all];
        pendingBytes = all.length;
      }
      callback();
    },
    flush(callback: TransformCallback) {
      if (!started) this.push(header.bytes);
      this.push(sealChunk(header, index, true, Buffer.concat(pending)));
      callback();
    },
  });
}

/** Header + sealed chunks in, plaintext out; fails with a DecryptionError on a wrong key or any change. */
export function createDecryptor(secret: EncryptionSecret): Transform {
  let header: Header | undefined;
  let buffered = Buffer.alloc(0);
  let index = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      buffered = Buffer.concat([buffered, chunk]);
      const drain = async () => {
        if (!header) {
          if (buffered.length < HEADER_SIZE) return;
          header = await readHeader(secret, buffered);
          buffered = buffered.subarray(HEADER_SIZE);
        }
        const sealedSize = header.chunkSize + TAG_SIZE;
        // A chunk is known not to be the last when more bytes follow it.
        while (buffered.length > sealedSize) {
          this.push(openChunk(header, index++, false, buffered.subarray(0, sealedSize)));
          buffered = buffered.subarray(sealedSize);
        }
      };
      drain().then(() => callback(), callback);
    },
    flush(callback: TransformCallback) {
      if (!header) return callback(new DecryptionError('the archive is truncated (no complete encryption header)'));
      try {
        this.push(openChunk(header, index, true, buffered));
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
  });
}

/** Plaintext size of an encrypted file of `encryptedSize` bytes with the given chunk size. */
export function plaintextSize(encryptedSize: number, chunkSize: number): number {
  const body = encryptedSize - HEADER_SIZE;
  const chunks = Math.max(1, Math.ceil(body / (chunkSize + TAG_SIZE)));
  return body - chunks * TAG_SIZE;
}

/** Size of the encrypted file of `plainSize` bytes with the given chunk size (the inverse of plaintextSize). */
export function encryptedSize(plainSize: number, chunkSize = DEFAULT_CHUNK_SIZE): number {
  return HEADER_SIZE + plainSize + Math.max(1, Math.ceil(plainSize / chunkSize)) * TAG_SIZE;
}

/** Where encrypted bytes come from: a file handle or an object store's ranged get. */
export interface EncryptedSource {
  /** Size of the encrypted file. */
  size: number;
  /** Reads `length` encrypted bytes from `offset`. */
  read: (offset: number, length: number) => Promise<Buffer>;
  /**
   * Streams `length` encrypted bytes from `offset`: one request for all the chunks of a range (an object
   * store answers each request with a round trip). Without it, chunks are read one by one with `read`.
   */
  stream?: (offset: number, length: number) => Promise<AsyncIterable<Buffer>>;
}

/** Splits a stream of sealed chunks back into chunks of `sealedSize` bytes (the last may be shorter). */
async function* sealedChunks(source: AsyncIterable<Buffer>, sealedSize: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const piece of source) {
    pending.push(piece);
    pendingBytes += piece.length;
    if (pendingBytes < sealedSize) continue;
    let all = Buffer.concat(pending);
    while (all.length >= sealedSize) {
      yield all.subarray(0, sealedSize);
      all = all.subarray(sealedSize);
    }
    pending = [all];
    pendingBytes = all.length;
  }
  if (pendingBytes > 0) yield Buffer.concat(pending);
}

/**
 * Checks the header (a wrong key fails here, before any plaintext), then gives the plaintext bytes
 * [offset, offset + length) chunk by chunk, reading only the chunks that hold them.
 */
export async function openDecryptedRange(secret: EncryptionSecret, source: EncryptedSource, offset: number, length: number): Promise<AsyncGenerator<Buffer>> {
  const header = await readHeader(secret, await source.read(0, HEADER_SIZE));
  const sealedSize = header.chunkSize + TAG_SIZE;
  const lastIndex = Math.max(0, Math.ceil((source.size - HEADER_SIZE) / sealedSize) - 1);
  const end = Math.min(offset + length, plaintextSize(source.size, header.chunkSize));
  const first = Math.floor(offset / header.chunkSize);
  const last = Math.floor((end - 1) / header.chunkSize);
  const spanStart = HEADER_SIZE + first * sealedSize;
  const spanLength = Math.min(source.size, HEADER_SIZE + (last + 1) * sealedSize) - spanStart;
  async function* chunks(): AsyncGenerator<Buffer> {
    if (source.stream) {
      yield* sealedChunks(await source.stream(spanStart, spanLength), sealedSize);
      return;
    }
    for (let start = spanStart; start < spanStart + spanLength; start += sealedSize) yield source.read(start, Math.min(sealedSize, source.size - start));
  }
  return (async function* () {
    if (offset >= end) return;
    let index = first;
    for await (const sealed of chunks()) {
      if (index > last) break;
      const plain = openChunk(header, index, index === lastIndex, sealed);
      const chunkStart = index * header.chunkSize;
      yield plain.subarray(Math.max(0, offset - chunkStart), Math.min(plain.length, end - chunkStart));
      index++;
    }
    if (index <= last) throw new DecryptionError(`the archive is truncated (chunk ${index} is missing)`);
  })();
}

/** Decrypts `length` plaintext bytes from `offset`, reading only the header and the chunks that hold them. */
export async function readDecryptedRange(secret: EncryptionSecret, source: EncryptedSource, offset: number, length: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of await openDecryptedRange(secret, source, offset, length)) parts.push(part);
  return Buffer.concat(parts);
}
