// Comparing a restored tree with the file index its backup recorded (archive/file-index.ts): every file
// the index names must be there, of its size, with its CRC-32; every file there must be in the index.
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { crc32OfFileSync, type FileIndexEntry } from '../../archive/file-index.js';
import type { FileDifference } from './file-difference.js';

const READ_BUFFER = 1 << 20;
const YIELD_EVERY = 256;

/** The regular files under `root`, by path relative to it (with `/`). */
async function restoredFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.relative(root, path.join(e.parentPath, e.name)).split(path.sep).join('/'));
}

/** The files under `root` that differ from the index's files (and hard links), in path order. */
export async function compareWithIndex(root: string, entries: readonly FileIndexEntry[], signal?: AbortSignal): Promise<{ compared: number; differing: FileDifference[] }> {
  const index = new Map(entries.filter((e) => e.crc32 !== undefined).map((e) => [e.path, e]));
  const differing: FileDifference[] = [];
  const seen = new Set<string>();
  const buffer = Buffer.allocUnsafe(READ_BUFFER);
  let compared = 0;
  for (const rel of await restoredFiles(root)) {
    // The reads are synchronous: let a cancellation (and progress) through now and then.
    if (++compared % YIELD_EVERY === 0) await new Promise((resolve) => setImmediate(resolve));
    signal?.throwIfAborted();
    const recorded = index.get(rel);
    const file = path.join(root, rel);
    if (!recorded) {
      differing.push({ path: rel, problem: 'extra', restoredSize: (await lstat(file)).size });
      continue;
    }
    seen.add(rel);
    const restored = crc32OfFileSync(file, buffer);
    if (restored.size !== recorded.size) differing.push({ path: rel, problem: 'size', recordedSize: recorded.size, restoredSize: restored.size });
    else if (restored.crc32 !== recorded.crc32) differing.push({ path: rel, problem: 'content', recordedSize: recorded.size, restoredSize: restored.size });
  }
  for (const [rel, recorded] of index) if (!seen.has(rel)) differing.push({ path: rel, problem: 'missing', recordedSize: recorded.size });
  differing.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { compared: seen.size, differing };
}
