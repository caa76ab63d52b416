// `lifeboat upload ID|--missing`: copies backups that are only in the backup folder to the off-site
// store, the retry for a copy that failed (the backup job failed, the local backup was kept). The same
// path as a backup's own copy: archive first, manifest last, nothing listed off-site until complete.
import type { Command } from 'commander';
import { UsageError } from '../shared/errors.js';
import { humanBytes } from './format.js';
import { progressBar } from './progress.js';
import { settings, stdio, withInterrupts } from './context.js';
import { log } from '../shared/log.js';
import { incrementalOf } from '../core/record-summary.js';
import type { BackupRecord } from '../shared/types.js';
import type { UploadOutcome } from '../repository/offsite-copy.js';

interface UploadFlags {
  missing?: boolean;
  json?: boolean;
}

/**
 * The line of one uploaded backup: its size; for an incremental backup what was sent (the packs the
 * bucket lacked: often none or a few) and the size of the tree it holds, as `list` shows it.
 */
export function uploadedLine(record: BackupRecord, outcome: UploadOutcome, location: string): string {
  const added = incrementalOf(record);
  if (!added || outcome.newPacks === undefined) return `uploaded ${record.file} (${humanBytes(record.size)}) to ${location}`;
  const packs = outcome.newPacks === 1 ? '1 new pack' : `${outcome.newPacks === 0 ? 'no' : outcome.newPacks} new packs`;
  return `uploaded ${record.file} (${humanBytes(outcome.sentBytes)} sent in ${packs}; the backup holds ${humanBytes(added.treeBytes)}) to ${location}`;
}

export function registerUpload(program: Command): void {
  program
    .command('upload')
    .description('copy a backup (or with --missing every backup whose copy is missing) to off-site storage')
    .argument('[id]', 'the backup id or archive file name')
    .option('--missing', 'every backup in the backup folder without a complete off-site copy')
    .option('--json', 'print the result as JSON')
    .action(async (id: string | undefined, flags: UploadFlags) => {
      if ((id === undefined) === !flags.missing) throw new UsageError('give either a backup ID or --missing, e.g. lifeboat upload --missing');
      const config = settings();
      const { Repository } = await import('../repository/repository.js');
      const repository = Repository.open(config);
      const location = repository.offsiteLocation;
      if (location === undefined) throw new UsageError('LIFEBOAT_STORAGE_URL is not set, so there is nowhere to upload to; set it, e.g. s3://my-backups/shop-one');
      const results: { id: string; file: string; uploaded: boolean; sentBytes?: number; newPacks?: number; error?: string }[] = [];
      try {
        await repository.secret(); // a bad key file fails before anything is listed or copied
        const records = await repository.toUpload(id);
        const copyAll = async (signal: AbortSignal) => {
          for (const record of records) {
            const bar = progressBar(!flags.json);
            try {
              const outcome = await repository.upload(record, { signal, onProgress: bar.listener });
              results.push({ id: record.id, file: record.file, uploaded: true, ...outcome });
              if (!flags.json) stdio.out(uploadedLine(record, outcome, location));
            } catch (error) {
              // With --missing, one backup's failure does not stop the others; Ctrl-C does.
              if (id !== undefined || signal.aborted) throw error;
              results.push({ id: record.id, file: record.file, uploaded: false, error: (error as Error).message });
              if (!flags.json) log.error(`lifeboat: ${(error as Error).message}`);
            } finally {
              bar.done();
            }
          }
        };
        const { withUploadLock } = await import('../core/upload-lock.js');
        await withUploadLock(config, records, () => withInterrupts(copyAll));
      } finally {
        repository.close();
      }
      if (flags.json) stdio.out(JSON.stringify(results));
      else if (results.length === 0) stdio.out(id === undefined ? `every backup has its copy in ${location}` : `${id}: already complete in ${location}`);
      if (results.some((r) => !r.uploaded)) process.exitCode = 1;
    });
}
