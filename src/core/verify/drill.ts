// A restore drill: proves that a database backup restores, without touching the shop. The backup is
// restored into a scratch database beside the shop's (the engine's openScratch) by the same code a
// rollback runs, with the same checks of the archive; the scratch copy is then dumped again and each
// table's rows, as the SQL Lifeboat writes for them, are compared with the backup's (table-hashes.ts):
// equal hashes mean the rows came back exactly. The scratch database is removed afterwards, whatever
// happened.
import { randomBytes } from 'node:crypto';
import type { ProgressListener } from '../../engines/engine.js';
import { openEngine } from '../../engines/index.js';
import type { DatabaseTarget } from '../../engines/target.js';
import { UsageError } from '../../shared/errors.js';
import type { BackupRecord } from '../../shared/types.js';
import { archivePath, codecOf, readSqlFile } from '../archive-reader.js';
import { requireSameEngine, rollbackDatabase } from '../rollback/database.js';
import { HashingSqlSink, hashTableRanges } from './table-hashes.js';
import { damagedPart, locateDamage, type ArchiveDamage } from './archive-damage.js';
import { entryWord } from './file-difference.js';
import type { TreeDrillResult } from './tree-drill.js';

export interface DrillTable {
  name: string;
  /** Rows the backup recorded, and rows the restored copy holds. */
  rows: number;
  restoredRows: number;
  /** The rows came back exactly (their SQL hashes are equal). */
  same: boolean;
}

export interface DrillResult {
  file: string;
  /** Set when the archive did not read: the restore was refused, and this says where the damage is. */
  damaged?: ArchiveDamage;
  /** Where the drill restored to (a schema or a file), already removed. */
  scratch: string;
  tables: DrillTable[];
  /** Tables in the backup that the restored copy lacks, or the other way round. */
  missing: string[];
  extra: string[];
  ok: boolean;
  seconds: number;
  /** For a file backup: its tree, restored into a scratch folder and compared with its file index. */
  tree?: TreeDrillResult;
}

export interface DrillOptions {
  onProgress?: ProgressListener;
  onNotice?: (line: string) => void;
  signal?: AbortSignal;
}

/** Drills the database backup `record` (in `backupDir`) against the shop's database server. */
export async function drillDatabase(target: DatabaseTarget, backupDir: string, record: BackupRecord, options: DrillOptions = {}): Promise<DrillResult> {
  if (record.type !== 'db') throw new UsageError(`${record.file} is a ${record.type} archive; drillTreeBackup drills it`);
  if (record.origin !== 'lifeboat' || !record.manifest) throw new UsageError(`${record.file} has no Lifeboat manifest to compare a restore with; lifeboat verify checks what it can`);
  requireSameEngine(record, target);
  const started = performance.now();
  const engine = openEngine(target);
  const scratch = await engine.openScratch(randomBytes(4).toString('hex'));
  try {
    if (scratch.replicated) options.onNotice?.(scratch.replicated);
    const sqlOf = () => readSqlFile(archivePath(backupDir, record), codecOf(record));
    try {
      await rollbackDatabase(scratch.target, backupDir, record, { onProgress: options.onProgress, onNotice: options.onNotice, signal: options.signal });
    } catch (error) {
      // A refused restore of an archive that does not read is the drill's finding, with the table named.
      options.signal?.throwIfAborted();
      const codec = codecOf(record);
      const damaged = codec && (await locateDamage(archivePath(backupDir, record), codec, record.manifest.tables));
      if (!damaged) throw error;
      const seconds = (performance.now() - started) / 1000;
      return { file: record.file, damaged, scratch: describeScratch(scratch.target), tables: [], missing: [], extra: [], ok: false, seconds };
    }
    options.signal?.throwIfAborted();
    const sink = new HashingSqlSink();
    const redump = await openEngine(scratch.target).dump(sink, { threads: 1, signal: options.signal });
    const expected = await hashTableRanges(sqlOf(), record.manifest.tables);
    const restored = new Map(redump.tables.map((t) => [t.name, t]));
    const tables = record.manifest.tables
      .filter((t) => restored.has(t.name))
      .map((t) => {
        const again = restored.get(t.name)!;
        const hash = sink.rangeHash(again);
        return { name: t.name, rows: t.rows, restoredRows: again.rows, same: hash !== undefined && hash === expected.get(t.name) && again.rows === t.rows };
      });
    const missing = record.manifest.tables.filter((t) => !restored.has(t.name)).map((t) => t.name);
    const extra = redump.tables.filter((t) => !record.manifest!.tables.some((m) => m.name === t.name)).map((t) => t.name);
    const ok = missing.length === 0 && extra.length === 0 && tables.every((t) => t.same);
    return { file: record.file, scratch: describeScratch(scratch.target), tables, missing, extra, ok, seconds: (performance.now() - started) / 1000 };
  } finally {
    await scratch.drop();
  }
}

/** A drill's report names at most this many files that differ (a tree may have many). */
const NAMED_FILES = 20;

/** The tables (and files) a drill found not as recorded: differing, missing or extra. */
export function tablesThatDiffer(result: DrillResult): string[] {
  const damaged = result.damaged ? [damagedPart(result.damaged)] : [];
  const tree = result.tree;
  const treeDamage = tree?.damaged ? [`the file archive (${tree.damaged})`] : [];
  const files = (tree?.differing ?? []).slice(0, NAMED_FILES).map((f) => `${entryWord(f)} ${f.path} (${f.problem})`);
  const unnamed = tree ? Math.max(tree.differing.length - NAMED_FILES, 0) + tree.moreDiffering : 0;
  const more = unnamed > 0 ? [`${unnamed} more files`] : [];
  return [...damaged, ...treeDamage, ...result.tables.filter((t) => !t.same).map((t) => t.name), ...result.missing, ...result.extra, ...files, ...more];
}

function describeScratch(target: DatabaseTarget): string {
  return target.kind === 'mysql' ? `schema ${target.database}` : `file ${target.path}`;
}
