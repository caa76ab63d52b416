// Creating an incremental backup of a file tree: the same types and the same tree as a .tgz (tree.ts),
// stored in the backup folder's content store (archive/content/) instead of an archive of its own. The
// database is dumped as for a .tgz while the tree is walked, and stored after the tree as its file
// `var/<time>_db.sql.gz`; every file the previous incremental backup of the type already holds unchanged
// is taken from its listing without being read. The order makes a crash harmless: packs, then their
// index, then the snapshot file and its manifest through the publish path, whose rename is the moment
// the backup exists. A crash before leaves packs that no snapshot uses, which the next prune removes.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { AtomicFile } from '../../archive/atomic-file.js';
import { codecNamed } from '../../archive/codec/registry.js';
import { BlobReader } from '../../archive/content/blob-reader.js';
import { BlobWriter, openStore } from '../../archive/content/blob-writer.js';
import { storeFile } from '../../archive/content/file-chunks.js';
import { ListingWriter, readListingTexts } from '../../archive/content/listing.js';
import { PreviousListing } from '../../archive/content/previous-listing.js';
import { parseSnapshot, snapshotDocument } from '../../archive/content/snapshot-file.js';
import { storeDirOf, STORE_FOLDER } from '../../archive/content/store-layout.js';
import { storeTree } from '../../archive/content/store-tree.js';
import { PACK_TARGET } from '../../archive/content/pack-writer.js';
import type { DatabaseTarget } from '../../engines/target.js';
import { listBackups } from '../../repository/catalog.js';
import { publishArchive, type ArchiveSlot, type ManifestContent } from '../../repository/publish.js';
import { UsageError } from '../../shared/errors.js';
import { holdsDatabase, type BackupRecord, type TreeType } from '../../shared/types.js';
import { scopeOf, shopRules, type ShopLayout } from '../tree-scope.js';
import { codecFor } from './database.js';
import { requireFreeSpace } from './free-space.js';
import { dumpMemberMeta, dumpPathFor, withDumpBeside, type DumpContent } from './dump-beside.js';
import type { TreeBackupOptions } from './tree.js';

/** Free space a new pack needs: itself, and room to spare for the index and the snapshot after it. */
const PACK_ROOM = 2 * PACK_TARGET + (16 << 20);

const NO_DUMP = { sqlBytes: 0, tables: [], objects: { tables: 0, views: 0, triggers: 0, routines: 0, events: 0, sequences: 0 }, warnings: [] };

/** A promise the caller opens (resolves) or fails later. */
function gate(): { opened: Promise<void>; open: () => void; fail: (error: unknown) => void } {
  let open!: () => void;
  let fail!: (error: unknown) => void;
  const opened = new Promise<void>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  opened.catch(() => undefined); // the failure is the tree's, reported by its own path
  return { opened, open, fail };
}

/** The newest incremental backup of `type` in the backup folder whose manifest vouches for it, if any. */
async function previousOf(backupDir: string, type: TreeType): Promise<BackupRecord | undefined> {
  return (await listBackups(backupDir)).find((r) => r.type === type && r.origin === 'lifeboat' && r.manifest?.incremental && !r.problem);
}

/**
 * The previous backup's listing, for finding unchanged files (its dump's entry left out); one that cannot
 * be read only means that every file is read (`warn` says so).
 */
async function previousListing(backupDir: string, reader: BlobReader, previous: BackupRecord | undefined, warn: (line: string) => void): Promise<PreviousListing | undefined> {
  if (!previous) return undefined;
  let listing: string[];
  try {
    listing = parseSnapshot(await readFile(path.join(backupDir, previous.file), 'utf8'), previous.file).listing;
  } catch (error) {
    warn(`the previous incremental backup ${previous.file} could not be read (${(error as Error).message}); every file was read`);
    return undefined;
  }
  const dumpPath = previous.manifest?.dump?.path;
  return new PreviousListing(readListingTexts(reader, listing), (p) => p === dumpPath);
}

export async function createIncrementalBackup(type: TreeType, shop: ShopLayout, target: DatabaseTarget | undefined, options: TreeBackupOptions = {}): Promise<BackupRecord> {
  const withDatabase = holdsDatabase(type);
  if (withDatabase && !target) throw new UsageError(`a ${type} backup includes the database: set LIFEBOAT_DATABASE_URL`);
  const scope = scopeOf(type);
  const dumpCodec = codecFor(options);
  const signal = options.signal ?? new AbortController().signal;
  const storeDir = storeDirOf(shop.backupDir);
  const index = await openStore(storeDir);
  const previous = await previousOf(shop.backupDir, type);
  const reader = new BlobReader(storeDir, index);

  try {
    // The file is named as an incremental backup's; its manifest says zstd, the compression of its blobs.
    return await publishArchive(shop.backupDir, type, { ...options, codec: codecNamed('zstd'), incremental: true }, async (slot): Promise<ManifestContent> => {
      // Room for the next pack and what follows it (its index, the snapshot), checked as each pack starts:
      // how much of the tree is new is known only as it is read.
      const writer = new BlobWriter(storeDir, index, () =>
        requireFreeSpace(storeDir, PACK_ROOM, 'the next pack of this incremental backup', 'free some space or set LIFEBOAT_BACKUP_DIR to a larger disk; nothing was kept'),
      );
      const listing = new ListingWriter(writer);
      let temp: AtomicFile | undefined;
      // The database is dumped while the tree is walked and stored, so the dump's waits on the server
      // overlap the walk; the dump is stored once the tree is, as the listing's last entry (it is found
      // by its path; the previous backup's is passed over by its path). A failure of either stops both.
      const both = new AbortController();
      const bothSignal = AbortSignal.any([signal, both.signal]);
      const treeStored = gate();
      try {
        const dumpPath = withDatabase ? dumpPathFor(slot.time, dumpCodec) : undefined;
        const dumping = target && dumpPath ? storeDump(writer, listing, target, slot, dumpPath, (t) => (temp = t), bothSignal, treeStored.opened) : Promise.resolve(NO_DUMP);
        dumping.catch((error: unknown) => both.abort(error));
        // A file of the shop at the dump's own path would make two entries of one name: leave it out.
        const { rules: estimateRules } = await shopRules(shop, scope, target);
        const { rules, skip } = await shopRules(shop, scope, target, dumpPath ? [dumpPath] : []);
        const warnings: string[] = [];
        const before = await previousListing(shop.backupDir, reader, previous, (line) => warnings.push(line));
        const tree = await storeTree(shop.root, writer, listing, {
          rules,
          skip,
          signal: bothSignal,
          previous: before,
          beforeFile: options.beforeFile,
          // The previous backup's tree is the best guess of the total without a walk of its own.
          onProgress: (bytes, rel) => options.onProgress?.({ phase: 'files', bytes, rows: 0, totalBytes: previous?.manifest?.tree?.bytes, table: rel }),
        })
          .catch(async (error: unknown) => {
            both.abort(error);
            treeStored.fail(error);
            await dumping.catch(() => undefined);
            throw error;
          })
          .finally(() => before?.close());
        treeStored.open();
        const content = await dumping;
        if (before?.problem) warnings.push(`the previous incremental backup ${previous?.file} could not be read to its end (${before.problem}); the files after that point were read`);
        const listed = await listing.finish();
        const added = await writer.commit();
        signal.throwIfAborted();
        await slot.out.write(Buffer.from(JSON.stringify(snapshotDocument(listed, listing.entries), null, 1) + '\n', 'utf8'));
        return {
          ...content,
          tree: { scope, ...tree.counts, followedSymlinks: tree.followed, excluded: estimateRules.describe() },
          incremental: {
            store: STORE_FOLDER,
            addedBytes: added.bytes,
            addedBlobs: added.blobs,
            addedPacks: added.packs,
            treeBytes: tree.counts.bytes + ('dump' in content ? content.dump.size : 0),
            unchangedFiles: tree.unchanged,
            ...(previous ? { parent: previous.file } : {}),
          },
          warnings: [...content.warnings, ...warnings, ...tree.warnings],
        };
      } catch (error) {
        await writer.abort();
        await temp?.abort();
        throw error;
      }
    });
  } finally {
    await reader.close();
  }

  /** The dump, made beside the snapshot while the tree is stored, then stored after it (`treeStored`) as the listing's last entry. */
  function storeDump(
    writer: BlobWriter,
    listing: ListingWriter,
    target: DatabaseTarget,
    slot: ArchiveSlot,
    dumpPath: string,
    onTemp: (temp: AtomicFile) => void,
    dumpSignal: AbortSignal,
    treeStored: Promise<void>,
  ) {
    return withDumpBeside(target, slot, dumpCodec, { ...options, signal: dumpSignal }, onTemp, async (file, content): Promise<DumpContent> => {
      await treeStored;
      const stored = await storeFile(writer, file, dumpPath, true);
      if (!('stat' in stored)) throw new Error(`the database dump could not be stored: ${stored.warning}`);
      const meta = dumpMemberMeta(dumpPath);
      listing.add({ ...meta, mtimeNs: String(meta.mtimeNs), type: 'file', size: stored.size, chunks: await stored.chunks });
      return content;
    });
  }
}
