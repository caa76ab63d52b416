// What a file-tree backup of a given type covers in a given shop, and so what its rollback replaces:
// the type's scope (everything, everything but media, media only), minus the built-in ignores, the
// backup folder and Lifeboat's home wherever they are, an SQLite database file inside the tree (its
// dump is the consistent copy; the live file is not), and the LIFEBOAT_EXCLUDE globs.
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { TreeRules, type TreeScope } from '../archive/tree-rules.js';
import { identityOf, type FileIdentity } from '../archive/walk.js';
import type { DatabaseTarget } from '../engines/target.js';
import type { TreeType } from '../shared/types.js';

export interface ShopLayout {
  root: string;
  backupDir: string;
  home: string;
  /** LIFEBOAT_EXCLUDE globs. */
  exclude: string[];
}

export function scopeOf(type: TreeType): TreeScope {
  if (type === 'system') return 'all';
  if (type === 'media') return 'media';
  return 'nomedia'; // nomedia, code
}

async function real(file: string): Promise<string> {
  return realpath(file).catch(() => path.resolve(file));
}

/** `inner` relative to `root` when it lies strictly inside it, lexically or after resolving symlinks. */
async function insideRoot(root: string, inner: string): Promise<string[]> {
  const found = new Set<string>();
  for (const [r, i] of [
    [path.resolve(root), path.resolve(inner)],
    [await real(root), await real(inner)],
  ]) {
    const rel = path.relative(r, i);
    if (rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel)) found.add(rel.split(path.sep).join('/'));
  }
  return [...found];
}

export async function shopRules(
  shop: ShopLayout,
  scope: TreeScope,
  target?: DatabaseTarget,
  extraPrefixes: string[] = [],
): Promise<{ rules: TreeRules; skip: FileIdentity[] }> {
  const prefixes = [
    ...extraPrefixes,...(await insideRoot(shop.root, shop.backupDir)), ...(await insideRoot(shop.root, shop.home))];
  if (target?.kind === 'sqlite') {
    for (const rel of await insideRoot(shop.root, target.path)) prefixes.push(rel, `${rel}-wal`, `${rel}-shm`, `${rel}-journal`);
  }
  const skip: FileIdentity[] = [];
  for (const dir of [shop.backupDir, shop.home]) {
    const id = await identityOf(dir);
    if (id) skip.push(id);
  }
  return { rules: new TreeRules({ scope, prefixes: [...new Set(prefixes)], globs: shop.exclude }), skip };
}
