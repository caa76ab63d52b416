// A file archive's database alone, restored into another database (`lifeboat restore` of a .tgz without
// --to-root): the archive is checked whole as a rollback checks it, its dump is copied out of it into
// the backup folder (a `.partial` file, which recovery removes should the job die), and loaded with the
// rollback's journaled, atomic restore. The files are not extracted anywhere.
import { createWriteStream } from 'node:fs';
import { unlink } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { readArchive } from '../../archive/archive-read.js';
import { codecOfFileName, DEFAULT_CODEC } from '../../archive/codec/registry.js';
import { readTar } from '../../archive/tar-reader.js';
import type { RestoreResult } from '../../engines/engine.js';
import type { DatabaseTarget } from '../../engines/target.js';
import { PARTIAL_SUFFIX } from '../../repository/naming.js';
import { OperationError } from '../../shared/errors.js';
import type { BackupRecord } from '../../shared/types.js';
import { archivePath, codecOf, readSqlFile } from '../archive-reader.js';
import { snapshotStream } from '../snapshot-source.js';
import { verifyTreeBackup } from '../verify/tree.js';
import { journaledRestore, objectsOf, restoreDatabase, type JournalPlace, type RollbackOptions } from '../rollback/database.js';
import { pickDump } from '../rollback/tree.js';

/** Restores the dump inside the tree archive `record` (in `archiveDir`) into `target`; the files stay in the archive. */
export async function restoreTreeDump(
  target: DatabaseTarget,
  archiveDir: string,
  record: BackupRecord,
  journal: JournalPlace,
  options: Pick<RollbackOptions, 'onProgress' | 'signal' | 'onNotice' | 'stagedStatements'>,
): Promise<RestoreResult> {
  const refuse = (reason: string) => new OperationError(`${record.file}: ${reason}; refusing to restore it, nothing was changed`);
  const report = await verifyTreeBackup(archiveDir, record, {
    signal: options.signal,
    onBytes: (bytes, total) => options.onProgress?.({ phase: 'verify', rows: 0, bytes, totalBytes: total }),
  });
  if (!report.ok) throw refuse(`it is damaged or unsafe (${report.problems.join('; ')})`);
  const dump = pickDump(record, report.scan.dumps);
  if (!dump) throw refuse('it holds no database dump');
  const copy = path.join(archiveDir, `.restore-${journal.jobId}-${path.basename(dump.path)}${PARTIAL_SUFFIX}`);
  try {
    await copyMember(archiveDir, record, dump.path, copy, options.signal);
    const codec = codecOfFileName(dump.path);
    return await journaledRestore(journal, record, target, false, (journaling) =>
      restoreDatabase(target, readSqlFile(copy, codec), {
        ...options,
        totalBytes: record.manifest?.sqlBytes,
        ownDump: record.origin === 'lifeboat',
        rereadSql: () => readSqlFile(copy, codec),
        ...objectsOf(record),
        ...journaling,
      }),
    );
  } finally {
    await unlink(copy).catch(() => undefined);
  }
}

/** Copies the member `member` of the archive (or of an incremental backup's tar stream) into `file`. */
async function copyMember(archiveDir: string, record: BackupRecord, member: string, file: string, signal: AbortSignal | undefined): Promise<void> {
  const source = record.manifest?.incremental
    ? await snapshotStream(archiveDir, record)
    : readArchive(archivePath(archiveDir, record), { decompress: codecOf(record) ?? DEFAULT_CODEC, hash: false });
  try {
    for await (const entry of readTar(source.chunks)) {
      if (entry.header.path !== member) continue;
      await pipeline(Readable.from(entry.body), createWriteStream(file, { flags: 'wx', mode: 0o600 }), { signal });
      return;
    }
    throw new OperationError(`the database dump ${member} went missing from the archive while it was read`);
  } finally {
    await source.close();
  }
}
