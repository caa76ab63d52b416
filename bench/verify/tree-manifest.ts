// "The restored tree equals the source": every file's relative path, permission bits, size and MD5, and
// every folder and symlink (target), compared as sorted lists.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';

/** path -> "f 644 <size> <md5>", "d 755", "l -> target" */
export type TreeManifest = Map<string, string>;

async function md5(file: string): Promise<string> {
  const hash = createHash('md5');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export async function treeManifest(root: string): Promise<TreeManifest> {
  const manifest: TreeManifest = new Map();
  const pending: Promise<void>[] = [];
  const walk = async (rel: string): Promise<void> => {
    for (const entry of await readdir(path.join(root, rel), { withFileTypes: true })) {
      const relPath = rel ? `${rel}/${entry.name}` : entry.name;
      const full = path.join(root, relPath);
      if (entry.isDirectory()) {
        manifest.set(relPath, `d ${((await lstat(full)).mode & 0o7777).toString(8)}`);
        await walk(relPath);
      } else if (entry.isSymbolicLink()) {
        manifest.set(relPath, `l -> ${await readlink(full)}`);
      } else if (entry.isFile()) {
        const info = await lstat(full);
        pending.push(md5(full).then((sum) => void manifest.set(relPath, `f ${(info.mode & 0o7777).toString(8)} ${info.size} ${sum}`)));
        if (pending.length >= 16) await Promise.all(pending.splice(0));
      } else {
        manifest.set(relPath, 'other');
      }
    }
  };
  await walk('');
  await Promise.all(pending);
  return manifest;
}

/** Differences between two manifests (at most `limit` lines, then a count). */
export function compareTrees(want: TreeManifest, got: TreeManifest, limit = 4, allowExtra?: (p: string) => boolean): string[] {
  const out: string[] = [];
  let more = 0;
  const add = (line: string) => (out.length < limit ? out.push(line) : more++);
  for (const [p, v] of want) {
    const g = got.get(p);
    if (g === undefined) add(`${p} is missing`);
    else if (g !== v) add(`${p}: ${g} instead of ${v}`);
  }
  for (const p of got.keys()) if (!want.has(p) && !allowExtra?.(p)) add(`extra ${p}`);
  if (more > 0) out.push(`and ${more} more`);
  return out;
}
