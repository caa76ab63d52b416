// The database dump of a file-tree backup, made first into a temporary file beside the backup (one
// consistent snapshot, taken when the backup starts; the files are read after it). A .tgz copies it in
// as its first member, an incremental backup stores it in its content store; either way it sits at
// `var/<time>_db.sql.gz` (the codec's extension), byte for byte what `backup db` writes.
import path from 'node:path';
import { AtomicFile } from '../../archive/atomic-file.js';
import type { Codec } from '../../archive/codec/codec.js';
import type { DatabaseTarget } from '../../engines/target.js';
import type { ArchiveSlot } from '../../repository/publish.js';
import type { DumpEntry, Manifest } from '../../shared/types.js';
import { dumpDatabase, dumpFacts, dumpWarnings, type DatabaseBackupOptions } from './database.js';

/** The path of the dump inside the backup's tree, in Magento's layout (with the codec's extension). */
export function dumpPathFor(time: number, codec: Codec): string {
  return `var/${time}_db.${codec.extensions.db}`;
}

export type DumpContent = Pick<Manifest, 'engine' | 'sqlBytes' | 'tables' | 'sequences' | 'objects' | 'definers' | 'strip' | 'anonymized' | 'warnings'> & { dump: DumpEntry };

/** What the tree's member for the dump gets: read-write for its owner (Lifeboat), now. */
export function dumpMemberMeta(dumpPath: string) {
  return { path: dumpPath, mode: 0o640, uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0, mtimeNs: BigInt(Date.now()) * 1_000_000n };
}

/**
 * Dumps the database into a temporary file beside `slot`'s archive and runs `use` with its path and the
 * manifest's facts about it; the file is removed afterwards (whether `use` took it in or failed).
 */
export async function withDumpBeside<T>(
  target: DatabaseTarget,
  slot: ArchiveSlot,
  codec: Codec,
  options: Pick<DatabaseBackupOptions, 'keepDefiners' | 'strip' | 'anonymize' | 'level' | 'threads' | 'onProgress'> & { signal: AbortSignal },
  onTemp: (temp: AtomicFile) => void,
  use: (file: string, content: DumpContent) => Promise<T>,
): Promise<T> {
  const dumpPath = dumpPathFor(slot.time, codec);
  // Temporary: the archive it is copied into is flushed to disk, this file never needs to be.
  const temp = await AtomicFile.create(path.join(slot.backupDir, `${slot.file}.db.${codec.extensions.db}`), undefined, { hashHere: true, temporary: true });
  onTemp(temp);
  try {
    const dump = await dumpDatabase(target, temp, codec, options);
    const sealed = await temp.seal();
    const entry: DumpEntry = { path: dumpPath, size: sealed.size, sha256: sealed.sha256, compression: codec.name };
    return await use(temp.partialPath, { ...dumpFacts(dump, options), dump: entry, warnings: dumpWarnings(dump, options.strip) });
  } finally {
    await temp.abort(); // the dump is inside the backup now (or the backup failed)
  }
}
