// What changes on a live shop between two backups: some files edited in place, some added (beside
// existing ones and in a new folder), some removed. Deterministic for a round, and each round touches
// other files, so that a series of rounds changes the tree as a shop's days do.
import { appendFile, mkdir, readdir, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Rng, codeText, extensionFor } from './code-text.js';
import { imageBytes } from './gen-tree.js';

/** The tree's regular files, relative and sorted (so that the picks of a round do not depend on readdir's order). */
export async function listFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)))
    .sort();
}

/**
 * An added file's content, like its neighbour's: an image beside an image (its bytes new, not a copy
 * that deduplication would find), code text beside code.
 */
function addedContent(neighbour: string, round: number, i: number): Buffer {
  const r = new Rng(round * 100_003 + i);
  if (neighbour.endsWith('.jpg')) return imageBytes(1_000_000 + round * 10_000 + i, r.int(50 * 1024, 150 * 1024));
  const dir = path.dirname(neighbour);
  return codeText(r, extensionFor(dir), r.int(1024, 20480), dir);
}

/**
 * Changes `count` of `files` under `root`, picked evenly over the list from an offset that moves with
 * the round: a third edited in place (a line appended), a third with a new file beside each, the rest
 * removed; and one file added in a new folder.
 */
export async function changeFiles(root: string, files: readonly string[], count: number, round: number): Promise<void> {
  const step = Math.max(1, Math.floor(files.length / (count + 1)));
  const offset = (round * 7919) % Math.max(1, files.length);
  const picked = Array.from({ length: count }, (_, i) => files[(offset + i * step) % files.length]);
  const third = Math.floor(count / 3);
  for (const p of picked.slice(0, third)) await appendFile(`${root}/${p}`, `\n// edited in round ${round}\n`);
  for (const [i, p] of picked.slice(third, 2 * third).entries()) {
    await writeFile(`${root}/${p}.new-${round}-${i}${path.extname(p)}`, addedContent(p, round, i));
  }
  const folder = `${root}/app/code/Since/Round${round}`;
  await mkdir(folder, { recursive: true });
  await writeFile(`${folder}/registration.php`, `<?php // added in round ${round}\n`);
  for (const p of picked.slice(2 * third)) await unlink(`${root}/${p}`).catch(() => undefined);
}
