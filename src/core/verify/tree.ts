// Reading a file-tree archive through once: sha256 and size of the file, the compressed stream, the tar
// stream to its end, every member against the safety rules, the tree's counts, and the embedded database
// dump's size and sha256. `lifeboat verify` reports what it finds; rollback refuses on any problem.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type { Codec } from '../../archive/codec/codec.js';
import { DEFAULT_CODEC, extensionPattern } from '../../archive/codec/registry.js';
import { Meter, readChain } from '../../archive/filter-chain.js';
import { emptyCounts, type TreeCounts } from '../../archive/pack-tree.js';
import { readTar, TarFormatError } from '../../archive/tar-reader.js';
import { EXACT_NAMES, MemberChecker, UnsafeArchiveError, type CheckedMember, type NameFolding } from '../../archive/tar-safety.js';
import { archivePath, codecOf } from '../archive-reader.js';
import { BlobDamagedError } from '../../archive/content/blob-codec.js';
import { SnapshotMismatchError } from '../../archive/content/open-snapshot.js';
import { scanSnapshot } from './snapshot.js';
import { checkStoreStructure } from '../../archive/content/store-check.js';
import path from 'node:path';
import type { BackupRecord } from '../../shared/types.js';
import type { VerifyReport } from './database.js';

export interface DumpFound {
  path: string;
  size: number;
  sha256: string;
}

export interface TreeScan {
  size: number;
  /** sha256 of the archive file; undefined when the file could not be read to its end. */
  sha256?: string;
  /** The tree, the dump member(s) not counted. */
  counts: TreeCounts;
  dumps: DumpFound[];
  /** Bytes of file data of all members (dumps included) and the member count, for space checks. */
  dataBytes: number;
  members: number;
  /** Set when the archive is broken or unsafe; the scan stops there. */
  problem?: string;
}

/** Where Magento (and Lifeboat) put the dump inside a file archive: var/<time>_db.sql[.gz] (or another codec's extension). */
export const DUMP_MEMBER = new RegExp(`^var/\\d{9,11}_db(?:_[0-9A-Za-z_]+)?\\.(?:${extensionPattern('db')})$`);

export interface ScanOptions {
  /** The archive's codec (default gzip). */
  codec?: Codec;
  /** Which member is the database dump: its path (from the manifest), a pattern, or null for none. */
  dumpPath?: string | RegExp | null;
  folding?: NameFolding;
  /** Called with each member that passed the rules (rollback uses it to plan per folder). */
  onMember?: (member: CheckedMember, size: number) => void;
  onBytes?: (bytes: number, total: number) => void;
  signal?: AbortSignal;
}

export function describeFailure(error: unknown, codec: Codec): string {
  const message = (error as Error).message;
  if (error instanceof UnsafeArchiveError) return `unsafe archive: ${message}`;
  if (error instanceof TarFormatError) return `the tar stream is broken: ${message}`;
  if (error instanceof BlobDamagedError || error instanceof SnapshotMismatchError) return `the incremental store is damaged: ${message}`;
  return `the ${codec.name} stream is broken: ${message}`;
}

/** Reads the tar stream `tar` to its end into `scan`: every member checked, counted, the dump hashed. */
export async function scanMembers(tar: AsyncIterable<Buffer>, scan: TreeScan, options: ScanOptions): Promise<void> {
  const checker = new MemberChecker(options.folding ?? EXACT_NAMES);
  const wanted = options.dumpPath ?? null;
  const isDump = (p: string) => (wanted === null ? false : typeof wanted === 'string' ? p === wanted : wanted.test(p));
  for await (const member of readTar(tar)) {
    options.signal?.throwIfAborted();
    const checked = checker.check(member.header);
    if (!checked) continue;
    scan.members++;
    const { header } = member;
    if (checked.type === 'file') scan.dataBytes += header.size;
    if (checked.type === 'file' && isDump(checked.path)) {
      const dumpHash = createHash('sha256');
      for await (const chunk of member.body) dumpHash.update(chunk);
      scan.dumps.push({ path: checked.path, size: header.size, sha256: dumpHash.digest('hex') });
    } else if (checked.type === 'file') {
      scan.counts.files++;
      scan.counts.bytes += header.size;
    } else if (checked.type === 'dir') scan.counts.dirs++;
    else if (checked.type === 'symlink') scan.counts.symlinks++;
    else scan.counts.hardlinks++;
    options.onMember?.(checked, header.size);
  }
}

export async function scanTreeArchive(file: string, options: ScanOptions = {}): Promise<TreeScan> {
  const size = (await stat(file)).size;
  const codec = options.codec ?? DEFAULT_CODEC;
  const scan: TreeScan = { size, counts: emptyCounts(), dumps: [], dataBytes: 0, members: 0 };
  const read = new Meter({ sha256: true, onBytes: (bytes) => options.onBytes?.(bytes, size) });
  try {
    await pipeline(
      readChain(createReadStream(file, { highWaterMark: 1 << 20 }), { plain: read, decompress: codec }),
      (tar: AsyncIterable<Buffer>) => scanMembers(tar, scan, options),
      { signal: options.signal },
    );
  } catch (error) {
    if (options.signal?.aborted) throw error;
    scan.problem = describeFailure(error, codec);
  }
  if (read.bytes === size) scan.sha256 = read.sha256();
  return scan;
}

/** `lifeboat verify` for file-tree archives. */
export async function verifyTreeBackup(
  backupDir: string,
  record: BackupRecord,
  options: Omit<ScanOptions, 'dumpPath' | 'codec'> = {},
): Promise<VerifyReport & { scan: TreeScan }> {
  const manifest = record.manifest;
  // Lifeboat's manifest names the dump; in Magento's archives of a type with a database, look for it.
  const dumpPath = manifest ? (manifest.dump?.path ?? null) : record.type === 'code' ? null : DUMP_MEMBER;
  const codec = codecOf(record) ?? DEFAULT_CODEC;
  const incremental = manifest?.incremental !== undefined;
  const scan = incremental ? await scanSnapshot(backupDir, record, { ...options, dumpPath }) : await scanTreeArchive(archivePath(backupDir, record), { ...options, codec, dumpPath });
  const report: VerifyReport & { scan: TreeScan } = { ok: true, id: record.id, file: record.file, checked: [], problems: [], scan };
  const problem = (text: string) => {
    report.ok = false;
    report.problems.push(text);
  };
  if (manifest) {
    report.checked.push('size');
    if (scan.size !== manifest.archive.size) problem(`size is ${scan.size} bytes, the manifest says ${manifest.archive.size}`);
  }
  if (scan.problem) problem(scan.problem);
  else report.checked.push(...(incremental ? ['every blob against its sha256'] : [codec.name]), 'tar', 'safe paths');
  if (manifest) {
    report.checked.push('sha256');
    if (scan.sha256 !== undefined && scan.sha256 !== manifest.archive.sha256) problem(`sha256 is ${scan.sha256}, the manifest says ${manifest.archive.sha256}`);
  }
  if (incremental && manifest?.incremental) {
    report.checked.push('store structure');
    for (const found of await checkStoreStructure(path.join(backupDir, manifest.incremental.store))) problem(found);
  }
  if (manifest?.tree && !scan.problem) {
    report.checked.push('tree counts');
    for (const key of ['files', 'dirs', 'symlinks', 'hardlinks', 'bytes'] as const) {
      if (scan.counts[key] !== manifest.tree[key]) problem(`holds ${scan.counts[key]} ${key}, the manifest says ${manifest.tree[key]}`);
    }
  }
  if (manifest?.dump && !scan.problem) {
    report.checked.push('database dump');
    const found = scan.dumps.find((d) => d.path === manifest.dump?.path);
    if (!found) problem(`the database dump ${manifest.dump.path} is missing`);
    else if (found.size !== manifest.dump.size || found.sha256 !== manifest.dump.sha256) problem(`the database dump ${manifest.dump.path} differs from the manifest`);
  }
  return report;
}
