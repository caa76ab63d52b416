// Verification: re-read an archive and check everything the manifest promises (size, sha256, that the
// compressed stream is whole, the uncompressed size). An archive without manifest gets the checks it can;
// one whose manifest does not belong to it fails without being read (manifest-binding.ts).
// File-tree archives (.tgz) are read by tree.ts: the codec, tar, safe paths, counts, the dump.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { Meter, readChain } from '../../archive/filter-chain.js';
import { archivePath, codecOf } from '../archive-reader.js';
import { UsageError } from '../../shared/errors.js';
import type { BackupRecord } from '../../shared/types.js';
import { verifyTreeBackup } from './tree.js';
import { readCheckedIndex } from './file-index-check.js';

export interface VerifyReport {
  ok: boolean;
  id: string;
  file: string;
  /** What was checked, e.g. ["size", "sha256", "gzip", "sql size"]. */
  checked: string[];
  problems: string[];
}

/**
 * The report for an archive whose manifest does not belong to it: nothing is read, as there is no
 * checksum to check it against, and passing it as a foreign archive is what the binding prevents.
 */
export function unboundReport(record: BackupRecord): VerifyReport {
  return { ok: false, id: record.id, file: record.file, checked: [], problems: record.problem ? [record.problem] : [] };
}

export async function verifyBackup(
  backupDir: string,
  record: BackupRecord,
  options: { onBytes?: (bytes: number, total: number) => void; signal?: AbortSignal; dataSubset?: number } = {},
): Promise<VerifyReport> {
  if (record.problem) return unboundReport(record);
  if (options.dataSubset !== undefined) {
    if (!record.manifest?.incremental) throw new UsageError(`--read-data-subset works with incremental backups only; ${record.file} is read whole`);
    const { verifySnapshotSubset } = await import('./snapshot-subset.js');
    return verifySnapshotSubset(backupDir, record, options.dataSubset, options.signal);
  }
  if (record.type !== 'db') {
    const { scan: _scan, ...report } = await verifyTreeBackup(backupDir, record, options);
    const index = record.manifest?.tree?.index;
    if (!index) return report;
    report.checked.push('file index');
    const checked = await readCheckedIndex(backupDir, index);
    return 'problem' in checked ? { ...report, ok: false, problems: [...report.problems, checked.problem] } : report;
  }
  const file = archivePath(backupDir, record);
  const report: VerifyReport = { ok: true, id: record.id, file: record.file, checked: [], problems: [] };
  const problem = (text: string) => {
    report.ok = false;
    report.problems.push(text);
  };
  const manifest = record.manifest;
  const size = (await stat(file)).size;
  if (manifest) {
    report.checked.push('size');
    if (size !== manifest.archive.size) problem(`size is ${size} bytes, the manifest says ${manifest.archive.size}`);
  }
  const codec = codecOf(record);
  const read = new Meter({ sha256: true, onBytes: (bytes) => options.onBytes?.(bytes, size) });
  let sqlBytes = 0;
  const countSql = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      sqlBytes += chunk.length;
      callback();
    },
  });
  try {
    await pipeline(readChain(createReadStream(file, { highWaterMark: 1 << 20 }), { plain: read, decompress: codec }), countSql, { signal: options.signal });
    if (codec) report.checked.push(codec.name);
  } catch (error) {
    if (options.signal?.aborted) throw error;
    problem(`the ${codec?.name ?? 'gzip'} stream is broken: ${(error as Error).message}`);
  }
  if (manifest) {
    report.checked.push('sha256');
    const sha256 = read.sha256();
    if (read.bytes === size && sha256 !== manifest.archive.sha256) problem(`sha256 is ${sha256}, the manifest says ${manifest.archive.sha256}`);
    if (report.ok && codec) {
      report.checked.push('sql size');
      if (sqlBytes !== manifest.sqlBytes) problem(`holds ${sqlBytes} bytes of SQL, the manifest says ${manifest.sqlBytes}`);
    }
  }
  return report;
}
