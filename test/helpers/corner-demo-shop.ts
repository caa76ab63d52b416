// The demo shop (SQLite) grown into the corner-case tree (tree.ts), with its media in a folder of their
// own that pub/media points at, and the environment the command needs to back it up.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { ensureDemoShop } from '../../src/demo/shop.js';
import { buildCornerShop } from './tree.js';

export interface CornerDemoShop {
  root: string;
  mediaStore: string;
  dbFile: string;
  backupDir: string;
  env: Record<string, string>;
}

/** Builds it under `base` (the backup folder made first: making it later would change var's mtime). */
export async function cornerDemoShop(base: string): Promise<CornerDemoShop> {
  const root = path.join(base, 'shop');
  const mediaStore = path.join(base, 'media-store');
  const demo = await ensureDemoShop(root);
  await buildCornerShop(root, mediaStore);
  const backupDir = path.join(root, 'var', 'backups');
  await mkdir(backupDir, { recursive: true });
  return { root, mediaStore, dbFile: demo.databaseFile, backupDir, env: { LIFEBOAT_ROOT: root, LIFEBOAT_DATABASE_URL: demo.databaseUrl, LIFEBOAT_EXCLUDE: '*.bak' } };
}
