// Creating a file-tree backup (.tgz): System (`system`, Magento's `snapshot` file), System without media
// (`nomedia`), Database and Media (`media`) and code (`code`, Magento's `filesystem_code` file). The
// database is dumped first (one consistent snapshot), into a temporary compressed file beside the
// archive; then the archive is written as a stream of tar members through the codec's parallel frame
// writer: the dump at `var/<time>_db.sql.gz` (Magento's place for it; the codec's extension), then the
// tree. The shared publish path seals, records and publishes it.
import { createReadStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { AtomicFile } from '../../archive/atomic-file.js';
import { helperThreadsPay } from '../../archive/spare-cores.js';
import { FrameTable } from '../../archive/codec/frame-table.js';
import { FrameWriter } from '../../archive/codec/frame-writer.js';
import { FileIndexWriter, withCrc32 } from '../../archive/file-index.js';
import { packTree } from '../../archive/pack-tree.js';
import { TarWriter } from '../../archive/tar-writer.js';
import type { WalkEntry } from '../../archive/walk.js';
import type { ProgressListener } from '../../engines/engine.js';
import type { DatabaseTarget } from '../../engines/target.js';
import { codecFor } from './database.js';
import { dumpMemberMeta, dumpPathFor, withDumpBeside } from './dump-beside.js';
import type { StripRules } from './strip-rules.js';
import { UsageError } from '../../shared/errors.js';
import { requireFreeSpace } from './free-space.js';
import { estimateTree } from '../../archive/tree-estimate.js';
import { startTreeRead, type TreeRead } from '../../archive/tree-reader.js';
import type { TreeReadOptions } from '../../archive/tree-read.js';
import { estimateDatabase } from '../../engines/data-size.js';
import { publishArchive, type ArchiveSlot, type ManifestContent } from '../../repository/publish.js';
import { fileIndexName } from '../../repository/naming.js';
import { scopeOf, shopRules, type ShopLayout } from '../tree-scope.js';
import { holdsDatabase, type BackupRecord, type CompressionName, type FakeKind, type TreeType } from '../../shared/types.js';

export interface TreeBackupOptions {
  name?: string;
  /** The codec to write the archive (and the dump inside) with (default gzip). */
  compression?: CompressionName;
  /** The codec's level for text (default: Codec.levels.text); already-compressed media are stored. */
  level?: number;
  keepDefiners?: boolean;
  /** Tables of the database part whose rows are left out (`--strip`). */
  strip?: StripRules;
  /** Columns of the database part dumped with fake values (`--anonymize`). */
  anonymize?: (table: string) => ReadonlyMap<string, FakeKind> | undefined;
  onProgress?: ProgressListener;
  signal?: AbortSignal;
  now?: () => Date;
  /** Called before each file is read (tests change the tree at that moment). */
  beforeFile?: (entry: WalkEntry) => Promise<void> | void;
}

const NO_OBJECTS = { tables: 0, views: 0, triggers: 0, routines: 0, events: 0, sequences: 0 };
/** Space for tar headers and padding, per entry. */
const PER_ENTRY = 1024;


export async function createTreeBackup(type: TreeType, shop: ShopLayout, target: DatabaseTarget | undefined, options: TreeBackupOptions = {}): Promise<BackupRecord> {
  const withDatabase = holdsDatabase(type);
  if (withDatabase && !target) throw new UsageError(`a ${type} backup includes the database: set LIFEBOAT_DATABASE_URL`);
  const scope = scopeOf(type);
  const { rules: estimateRules, skip } = await shopRules(shop, scope, target);
  await mkdir(shop.backupDir, { recursive: true });
  // The free-space check needs a walk of the whole tree (about a second per 30 k files), so it runs
  // alongside the writing instead of before it; when it finds too little room it stops the backup, which
  // then leaves nothing behind, like any failed backup.
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  let totalBytes: number | undefined;
  const codec = codecFor(options);
  // The archive's sha256 and the estimate's count get threads of their own only where cores are spare.
  const ownThreads = helperThreadsPay();

  let indexPath: string | undefined;
  // The index is published just before the manifest: a backup that fails after that must not leave it.
  return publishArchive(shop.backupDir, type, { ...options, codec, hashHere: !ownThreads }, async (slot): Promise<ManifestContent> => {
    indexPath = path.join(shop.backupDir, fileIndexName(slot.file));
    let tempDump: AtomicFile | undefined;
    let spaceProblem: Error | undefined;
    const dumpPath = withDatabase ? dumpPathFor(slot.time, codec) : undefined;
    // A file of the shop at the dump's own path would make two members of one name: leave it out.
    const { rules } = await shopRules(shop, scope, target, dumpPath ? [dumpPath] : []);
    // The tree's reading starts now, on its thread, while the database is dumped: the thread's start and
    // the first batches then cost the backup no time of their own (a few batches wait for the packer).
    // On two cores the same thread counts the tree for the estimate (with the rules that leave the dump's
    // path in); with more, the count has a thread of its own (estimateTree).
    const readOptions = { rules, skip, signal, beforeFile: options.beforeFile };
    const read = startTreeRead(shop.root, readOptions, ownThreads ? undefined : estimateRules);
    const spaceChecked = (async () => {
      const estimate = read.estimate ? await read.estimate : await estimateTree(shop.root, { rules: estimateRules, skip, signal });
      if (!estimate) return; // the reading stopped before the count was done: it reports why
      totalBytes = estimate.bytes;
      const databaseBytes = withDatabase && target ? await estimateDatabase(target) : 0;
      const needed = estimate.storedBytes + (estimate.bytes - estimate.storedBytes) / 2 + estimate.entries * PER_ENTRY + databaseBytes + (16 << 20);
      const written = slot.out.size + (tempDump?.size ?? 0);
      await requireFreeSpace(shop.backupDir, needed - written, 'this backup (estimated)', 'free some space or set LIFEBOAT_BACKUP_DIR to a larger disk; nothing was kept');
    })().catch((error: Error) => {
      if (options.signal?.aborted) return; // cancelled: the writing reports that
      spaceProblem = error;
      stop.abort(error);
    });
    try {
      const content = await writeTreeArchive(slot, read, readOptions, dumpPath, (temp) => (tempDump = temp));
      await spaceChecked;
      if (spaceProblem) throw spaceProblem;
      return content;
    } catch (error) {
      stop.abort(); // the walk, when the writing failed first
      throw spaceProblem ?? error;
    }
  }).catch(async (error: unknown) => {
    if (indexPath) await rm(indexPath, { force: true });
    throw error;
  });

  async function writeTreeArchive(slot: ArchiveSlot, read: TreeRead, readOptions: TreeReadOptions, dumpPath: string | undefined, onTempDump: (temp: AtomicFile) => void): Promise<ManifestContent> {
    // The archive file is done with each buffer once written: stored media frames reuse theirs.
    // The table of frame starts lets the index say where each file can be read from (a one-file restore).
    const table = new FrameTable();
    const frames = new FrameWriter(slot.out, codec, { level: options.level ?? codec.levels.text, reuseOutput: true, table });
    const tar = new TarWriter(frames);
    const index = await FileIndexWriter.create(path.join(slot.backupDir, fileIndexName(slot.file)), (position) => table.locate(position)).catch(async (error: unknown) => {
      await read.close();
      throw error;
    });
    try {
      const content = target && dumpPath ? await addDump(tar, index, target, slot, dumpPath, onTempDump) : { sqlBytes: 0, tables: [], objects: NO_OBJECTS, warnings: [] };
      const pack = await packTree(shop.root, tar, {
        ...readOptions,
        read,
        onIndexed: (entry, headerAt) => index.add(entry, headerAt),
        onProgress: (bytes, rel) => options.onProgress?.({ phase: 'files', bytes, rows: 0, totalBytes, table: rel }),
      });
      await tar.finish();
      await frames.finish();
      const indexed = await index.commit();
      const indexEntry = { file: fileIndexName(slot.file), size: indexed.size, sha256: indexed.sha256, hash: 'crc32' as const, entries: indexed.entries };
      return {
        ...content,
        tree: { scope, ...pack.counts, followedSymlinks: pack.followed, excluded: estimateRules.describe(), index: indexEntry },
        warnings: [...content.warnings, ...pack.warnings],
      };
    } catch (error) {
      await read.close(); // a dump that failed leaves the tree unread
      await index.abort();
      await frames.abandon(); // a failed backup's compressors are freed now, not when collected (`lifeboat serve` runs on)
      throw error;
    }
  }

  /** The database's dump, made beside the archive first, then added to it as one member. */
  function addDump(tar: TarWriter, index: FileIndexWriter, target: DatabaseTarget, slot: ArchiveSlot, dumpPath: string, onTempDump: (temp: AtomicFile) => void) {
    return withDumpBeside(target, slot, codec, { ...options, signal }, onTempDump, async (file, content) => {
      const member = { ...dumpMemberMeta(dumpPath), size: content.dump.size };
      const crc = { value: 0 };
      const headerAt = tar.bytesWritten;
      await tar.addFile(member, withCrc32(createReadStream(file, { highWaterMark: 1 << 20 }), member.size, crc), 0);
      index.add({ path: dumpPath, type: 'file', size: member.size, mtimeNs: member.mtimeNs, crc32: crc.value }, headerAt);
      return content;
    });
  }
}
