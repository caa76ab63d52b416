// Making what an extraction wrote durable before a rollback's commit point. A rollback journals each
// step durably, so a kill -9 at any moment is recovered; a power loss also takes what the kernel had not
// written yet, and a staged tree swapped in before its files reached the disk would come back after
// one as files of zero length under the backup's names: half a shop. The extraction writes its files
// without an fsync each (on ext4 every one costs a journal commit: thousands per tree); one syncfs per
// filesystem before the swap flushes them all at once. Node has no syncfs: `sync -f` (GNU coreutils,
// BusyBox) is it, and a plain `sync` (every filesystem) where that option is missing.
import { execFile } from 'node:child_process';

/** Runs `sync` with `args`; resolves to undefined, or to why it failed. */
function runSync(args: string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('sync', args, (error, _stdout, stderr) => {
      if (!error) return resolve(undefined);
      const said = stderr.trim().split('\n')[0];
      resolve(said || error.message.split('\n')[0]);
    });
  });
}

export class FlushError extends Error {}

/** Flushes to disk every file written on the filesystems that hold `paths` (existing paths). */
export async function flushFilesystems(paths: string[]): Promise<void> {
  const unique = [...new Set(paths)];
  if (unique.length === 0) return;
  const perFilesystem = await runSync(['-f', '--', ...unique]);
  if (perFilesystem === undefined) return;
  const whole = await runSync([]);
  if (whole !== undefined) throw new FlushError(`the staged files could not be flushed to disk (sync -f: ${perFilesystem}; sync: ${whole})`);
}
