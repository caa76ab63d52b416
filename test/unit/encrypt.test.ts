// Chunked AES-256-GCM: round trips at chunk boundaries, ranged reads that touch only the needed chunks,
// and refusal of a wrong key, a flipped byte, reordered chunks and truncation.
import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createDecryptor, createEncryptor, DecryptionError, encryptedSize, HEADER_SIZE, loadEncryptionSecret, plaintextSize, readDecryptedRange, type EncryptionSecret } from '../../src/archive/encrypt.js';

const CHUNK = 4096;
const KEY: EncryptionSecret = { kind: 'key', key: randomBytes(32) };

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

async function encrypt(plain: Buffer, secret = KEY, chunkSize = CHUNK): Promise<Buffer> {
  return collect(Readable.from(split(plain)).pipe(await createEncryptor(secret, chunkSize)));
}

function split(data: Buffer, size = 1000): Buffer[] {
  const parts: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) parts.push(data.subarray(i, i + size));
  return parts;
}

async function decrypt(sealed: Buffer, secret = KEY): Promise<Buffer> {
  return collect(Readable.from(split(sealed, 777)).pipe(createDecryptor(secret)));
}

describe('chunked encryption', () => {
  it.each([0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * CHUNK + 17])('round-trips %i bytes', async (size) => {
    const plain = randomBytes(size);
    const sealed = await encrypt(plain);
    expect(sealed.length).toBe(HEADER_SIZE + plain.length + 16 * Math.max(1, Math.ceil(plain.length / CHUNK)));
    expect((await decrypt(sealed)).equals(plain)).toBe(true);
  });

  it('does not contain the plaintext', async () => {
    const plain = Buffer.from("<?php return ['db' => ['password' => 'the-shop-secret-123']];\n".repeat(200));
    const sealed = await encrypt(plain);
    expect(sealed.includes(Buffer.from('the-shop-secret-123'))).toBe(false);
  });

  it('refuses a wrong key and a wrong passphrase, saying so', async () => {
    const sealed = await encrypt(randomBytes(10_000));
    await expect(decrypt(sealed, { kind: 'key', key: randomBytes(32) })).rejects.toThrow(/^wrong key/);
    const secret: EncryptionSecret = { kind: 'passphrase', passphrase: Buffer.from('correct horse battery staple') };
    const withPassphrase = await encrypt(randomBytes(100), secret);
    expect((await decrypt(withPassphrase, secret)).length).toBe(100);
    await expect(decrypt(withPassphrase, { kind: 'passphrase', passphrase: Buffer.from('incorrect horse battery') })).rejects.toBeInstanceOf(DecryptionError);
  });

  it('refuses a flipped byte anywhere: header, a middle chunk, the last tag', async () => {
    const sealed = await encrypt(randomBytes(3 * CHUNK + 5));
    for (const at of [20, HEADER_SIZE + CHUNK + 100, sealed.length - 1]) {
      const bad = Buffer.from(sealed);
      bad[at] ^= 0x01;
      await expect(decrypt(bad)).rejects.toBeInstanceOf(DecryptionError);
    }
  });

  it('refuses truncation, also at a chunk boundary, and swapped chunks', async () => {
    const sealed = await encrypt(randomBytes(3 * CHUNK + 5));
    const sealedChunk = CHUNK + 16;
    await expect(decrypt(sealed.subarray(0, HEADER_SIZE + 2 * sealedChunk))).rejects.toThrow(/changed or truncated/);
    await expect(decrypt(sealed.subarray(0, sealed.length - 3))).rejects.toBeInstanceOf(DecryptionError);
    await expect(decrypt(sealed.subarray(0, 30))).rejects.toThrow(/truncated/);
    const swapped = Buffer.concat([
      sealed.subarray(0, HEADER_SIZE),
      sealed.subarray(HEADER_SIZE + sealedChunk, HEADER_SIZE + 2 * sealedChunk),
      sealed.subarray(HEADER_SIZE, HEADER_SIZE + sealedChunk),
      sealed.subarray(HEADER_SIZE + 2 * sealedChunk),
    ]);
    await expect(decrypt(swapped)).rejects.toBeInstanceOf(DecryptionError);
  });

  it('decrypts a byte range reading only the chunks that hold it', async () => {
    const plain = randomBytes(10 * CHUNK + 123);
    const sealed = await encrypt(plain);
    const reads: [number, number][] = [];
    const source = {
      size: sealed.length,
      read: async (offset: number, length: number) => {
        reads.push([offset, length]);
        return sealed.subarray(offset, offset + length);
      },
    };
    const range = await readDecryptedRange(KEY, source, 4 * CHUNK + 10, CHUNK);
    expect(range.equals(plain.subarray(4 * CHUNK + 10, 5 * CHUNK + 10))).toBe(true);
    expect(reads.length).toBe(3); // the header and chunks 4 and 5
    const tail = await readDecryptedRange(KEY, source, plain.length - 50, 1000);
    expect(tail.equals(plain.subarray(plain.length - 50))).toBe(true);
  });

  // An upload tells a pack the bucket holds whole from one cut short by the sizes a listing gives.
  it('says the size an encryption of n bytes has, at and around chunk boundaries, empty included', async () => {
    for (const size of [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * CHUNK + 7]) {
      const sealed = await encrypt(randomBytes(size));
      expect(encryptedSize(size, CHUNK), `${size} bytes`).toBe(sealed.length);
      expect(plaintextSize(encryptedSize(size, CHUNK), CHUNK)).toBe(size);
    }
  });

  it('reads a key file: 32 bytes are a key, anything else a passphrase', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'lifeboat-key-'));
    await writeFile(path.join(dir, 'raw'), randomBytes(32));
    await writeFile(path.join(dir, 'phrase'), 'a long enough passphrase\n');
    await writeFile(path.join(dir, 'short'), 'short\n');
    expect((await loadEncryptionSecret(path.join(dir, 'raw'))).kind).toBe('key');
    expect(await loadEncryptionSecret(path.join(dir, 'phrase'))).toEqual({ kind: 'passphrase', passphrase: Buffer.from('a long enough passphrase') });
    await expect(loadEncryptionSecret(path.join(dir, 'short'))).rejects.toThrow(/at least 12 characters/);
  });
});
