// A file rollback extracts with two threads (the archive's reading and inflating, the tree's writing)
// that take about 100 ms each to start, more on a busy machine. Started when the rollback is asked for,
// they are running by the time the job's checks, its journal and its staging folders are done: on a
// small shop's rollback that start was a tenth of the time (worker-module.ts, startAhead).
import { startArchiveReadAhead } from '../../archive/archive-read.js';
import { startSnapshotReadAhead } from '../../archive/snapshot-read.js';
import { startTreeWriterAhead } from '../../archive/tree-writer.js';
import type { BackupRecord } from '../../shared/types.js';

/** Starts the threads the rollback of `record` will use; the function returned stops those it did not take. */
export function startRollbackThreads(record: BackupRecord, chosenPaths: boolean): () => Promise<void> {
  if (record.type === 'db') return async () => undefined;
  // Chosen paths are read from their places in the archive, an incremental backup from its store (on a
  // thread of its own, snapshot-read.ts): the whole archive is read through the reading thread only otherwise.
  const incremental = record.manifest?.incremental !== undefined;
  const readsWhole = !chosenPaths && !incremental;
  const stops = [startTreeWriterAhead(), ...(readsWhole ? [startArchiveReadAhead()] : []), ...(incremental ? [startSnapshotReadAhead()] : [])];
  return async () => {
    await Promise.all(stops.map((stop) => stop()));
  };
}
