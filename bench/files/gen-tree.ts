// The benchmark shop's file tree, like the team's gen-shop-files.sh: at scale 1 about 100 k text files of
// 1-20 KB in deep module folders (app/code, vendor, generated, lib) and 20 k incompressible "images"
// (random bytes behind a JPEG header, 50-500 KB skewed small, mean ~114 KB) under pub/media: ~3.2 GB.
// Deterministic for a scale: text from a seeded PRNG, image bytes from an AES-CTR keystream.
import { createCipheriv, createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MODULES, Rng, SUBDIRS, VENDORS, WORDS, codeText, extensionFor, ident } from './code-text.js';

export interface GeneratedTree {
  files: number;
  textFiles: number;
  images: number;
  bytes: number;
  textBytes: number;
  seconds: number;
}

const JPEG_HEADER = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00]);
const IMAGE_KEY = createHash('sha256').update('lifeboat bench images').digest().subarray(0, 16);

/**
 * `size` incompressible bytes for image `i`, always the same for the same i. The image's number goes into
 * the IV's first bytes, not into the counter (its last bytes): there, image i+1's keystream was image i's
 * shifted by one block, so neighbouring images repeated each other, which a compressor with a window
 * larger than an image (zstd's 2 MiB and more, not gzip's 32 KiB) squeezed to a fraction.
 */
export function imageBytes(i: number, size: number): Buffer {
  const iv = Buffer.alloc(16);
  iv.writeUInt32BE(i, 0);
  const body = createCipheriv('aes-128-ctr', IMAGE_KEY, iv).update(Buffer.alloc(size - JPEG_HEADER.length));
  return Buffer.concat([JPEG_HEADER, body]);
}

function moduleRoot(r: Rng): string {
  const v = r.choice(VENDORS);
  const m = r.choice(MODULES);
  const kind = r.next();
  if (kind < 0.35) return `app/code/${v}/${m}${r.int(1, 40)}`;
  if (kind < 0.75) return `vendor/${v.toLowerCase()}/module-${m.toLowerCase()}-${r.int(1, 60)}`;
  if (kind < 0.85) return `vendor/${r.choice(['symfony', 'laminas', 'guzzlehttp', 'monolog', 'phpunit'])}/${r.choice(WORDS)}-${r.int(1, 50)}/src/${ident(r, 1)}/${ident(r, 1)}`;
  if (kind < 0.95) return `generated/code/${v}/${m}/Model/${ident(r, 1)}`;
  return `lib/internal/${v}/Framework/${ident(r, 1)}/${ident(r, 1)}`;
}

/** Writes files with a bounded number in flight. */
class Writer {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly made = new Set<string>();

  async write(file: string, data: Buffer): Promise<void> {
    const dir = path.dirname(file);
    if (!this.made.has(dir)) {
      await mkdir(dir, { recursive: true });
      this.made.add(dir);
    }
    const p: Promise<void> = writeFile(file, data).finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
    if (this.inFlight.size >= 32) await Promise.race(this.inFlight);
  }

  async done(): Promise<void> {
    await Promise.all(this.inFlight);
  }
}

export async function generateTree(dest: string, scale: number): Promise<GeneratedTree> {
  const started = performance.now();
  const r = new Rng(42);
  const nText = Math.max(1, Math.floor(100_000 * scale));
  const nImages = Math.max(1, Math.floor(20_000 * scale));
  const roots: [string, string][] = [];
  while (roots.length * 10 < nText) {
    const sub = r.choice(SUBDIRS);
    roots.push([`${moduleRoot(r)}/${sub}`, sub]);
  }
  const out = new Writer();
  let textBytes = 0;
  for (let i = 0; i < nText; i++) {
    const [dir, sub] = roots[Math.floor(i / 10)] ?? r.choice(roots);
    const ext = extensionFor(sub);
    const size = r.int(1024, 20480);
    const data = codeText(r, ext, size, dir);
    textBytes += data.length;
    await out.write(path.join(dest, dir, `${ident(r)}${i}${ext}`), data);
  }
  let imageTotal = 0;
  for (let i = 0; i < nImages; i++) {
    const h = createHash('md5').update(String(i)).digest('hex');
    const name = `${r.choice(['shirt', 'jacket', 'lamp', 'chair', 'mug', 'bag', 'shoe'])}-${i}_${h.slice(0, 6)}.jpg`;
    const cache = createHash('md5').update(String(i % 8)).digest('hex');
    const dir = i % 2 === 0 ? `pub/media/catalog/product/${h[0]}/${h[1]}` : `pub/media/catalog/product/cache/${cache}/${h[0]}/${h[1]}`;
    const size = Math.floor(50 * 1024 + 450 * 1024 * r.next() ** 6);
    imageTotal += size;
    await out.write(path.join(dest, dir, name), imageBytes(i, size));
  }
  await out.done();
  return {
    files: nText + nImages,
    textFiles: nText,
    images: nImages,
    bytes: textBytes + imageTotal,
    textBytes,
    seconds: (performance.now() - started) / 1000,
  };
}
