// The rollback of an incremental backup, whose snapshot is read on a worker thread (snapshot-read.ts),
// through rollbackTree on the corner-case tree with enough files for many handover buffers: cancelled
// half-way through the extraction it leaves the shop as it was and no work folder; a snapshot whose
// listing was tampered with (a path climbing out of the tree) is refused by the same checks as a .tgz's
// members, nothing changed; and the rollback puts back exactly the tree that was backed up.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BlobWriter, openStore } from '../../src/archive/content/blob-writer.js';
import { readListing } from '../../src/archive/content/listing.js';
import { openSnapshot } from '../../src/archive/content/open-snapshot.js';
import { snapshotDocument } from '../../src/archive/content/snapshot-file.js';
import { createIncrementalBackup } from '../../src/core/backup/incremental.js';
import { rollbackTree } from '../../src/core/rollback/tree.js';
import type { ShopLayout } from '../../src/core/tree-scope.js';
import { OperationError } from '../../src/shared/errors.js';
import type { BackupRecord } from '../../src/shared/types.js';
import { workFoldersLeft } from '../helpers/rollback-cleanup.js';
import { buildCornerShop, fingerprintTree, ignoredInCornerShop, treeDifferences, type TreeEntry } from '../helpers/tree.js';

/** A rollback sets mtimes through utimes' seconds (to within a microsecond); `var` holds Lifeboat's own files. */
const MICROSECOND = 1000n;
const VOLATILE = ['var'];

describe('the rollback of an incremental backup', () => {
  let base: string;
  let shop: ShopLayout;
  let record: BackupRecord;
  let backedUp: TreeEntry[];
  let changed: TreeEntry[];
  const print = (dir: string) => fingerprintTree(dir, { ignore: (rel) => ignoredInCornerShop(rel) || rel === 'pub/media' || rel.startsWith('pub/media/') });

  beforeAll(async () => {
    base = await mkdtemp(path.join(tmpdir(), 'lifeboat-incremental-rollback-'));
    const root = path.join(base, 'shop');
    await mkdir(root);
    await buildCornerShop(root, path.join(base, 'media-store'));
    // Many small files (text: compressed blobs), random ones (stored as they are), files of several blobs.
    await mkdir(path.join(root, 'app/code/Many'), { recursive: true });
    for (let i = 0; i < 1500; i++) await writeFile(path.join(root, 'app/code/Many', `F${i}.php`), `<?php // file ${i}\n`.repeat(1 + (i % 300)));
    for (let i = 0; i < 40; i++) await writeFile(path.join(root, 'app/code/Many', `R${i}.bin`), randomBytes(20_000 + i * 9_000));
    for (let i = 0; i < 3; i++) await writeFile(path.join(root, 'lib', `several-blobs-${i}.bin`), randomBytes((5 << 20) + i * 777_777));
    shop = { root, backupDir: path.join(root, 'var/backups'), home: path.join(root, 'var/lifeboat'), exclude: [] };
    await mkdir(shop.backupDir, { recursive: true });
    backedUp = await print(root);
    record = await createIncrementalBackup('code', shop, undefined);
    for (let i = 0; i < 1500; i += 100) await writeFile(path.join(root, 'app/code/Many', `F${i}.php`), 'changed since the backup\n');
    await writeFile(path.join(root, 'app/code/Many/new.php'), 'new since the backup\n');
    changed = await print(root);
  });

  const expectUnchanged = async () => {
    expect(treeDifferences(changed, await print(shop.root), MICROSECOND, VOLATILE)).toEqual([]);
    expect(await workFoldersLeft(base)).toEqual([]);
  };

  it('cancelled during the extraction, leaves the shop as it was and no work folder', async () => {
    const cancel = new AbortController();
    let extracted = 0;
    const rolling = rollbackTree(record, shop, undefined, {
      signal: cancel.signal,
      onProgress: ({ phase, bytes }) => {
        if (phase !== 'extract' || bytes === 0) return;
        extracted = bytes;
        cancel.abort();
      },
    });
    await expect(rolling).rejects.toThrow();
    expect(extracted).toBeGreaterThan(0);
    await expectUnchanged();
  });

  it('refuses a snapshot whose listing was tampered with (a path climbing out), nothing changed', async () => {
    // A listing of the same entries but one, written into the store as a backup would, with its snapshot
    // file and a manifest that vouches for that file.
    const opened = await openSnapshot(path.join(shop.backupDir, record.file));
    const lines: string[] = [];
    try {
      for await (const entry of readListing(opened.reader, opened.document.listing)) lines.push(JSON.stringify(entry.path === 'app/etc/env.php' ? { ...entry, path: '../escaped.php' } : entry));
    } finally {
      await opened.close();
    }
    const storeDir = path.join(shop.backupDir, 'incremental');
    const writer = new BlobWriter(storeDir, await openStore(storeDir));
    const listing = [await writer.store(Buffer.from(lines.join('\n') + '\n'), false)];
    await writer.commit();
    const file = record.file.replace('.incremental.json', '_tampered.incremental.json');
    const bytes = Buffer.from(JSON.stringify(snapshotDocument(listing, lines.length)));
    await writeFile(path.join(shop.backupDir, file), bytes);
    const manifest = record.manifest!;
    const tampered: BackupRecord = { ...record, file, manifest: { ...manifest, archive: { ...manifest.archive, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') } } };
    const error = (await rollbackTree(tampered, shop, undefined).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(OperationError);
    expect(error.message).toMatch(/\.\.\/escaped\.php/);
    expect(error.message).toMatch(/refusing to roll back, nothing was changed/);
    await expectUnchanged();
  });

  it('puts back exactly the tree that was backed up', async () => {
    const result = await rollbackTree(record, shop, undefined);
    expect(result.tree.files).toBe(record.manifest!.tree!.files);
    expect(treeDifferences(backedUp, await print(shop.root), MICROSECOND, VOLATILE)).toEqual([]);
    expect(await readFile(path.join(shop.root, 'app/code/Many/F100.php'), 'utf8')).toBe('<?php // file 100\n'.repeat(101));
  });
});
