// Making what an extraction wrote durable before a rollback's commit point. A rollback journals each
// step durably, so a kill -9 at any moment is recovered; a power loss also takes what the kernel had not
// written yet, and a staged tree swapped in before its files reached the disk would come back after
// one as files of zero length under the backup's names: half a shop. The extraction writes its files
// without an fsync each (on ext4 every one costs a journal commit: thousands per tree); one syncfs per
// filesystem before the swap flushes them all at once. Node has no syncfs: `sync -f` (GNU coreutils,
// BusyBox) is it, and a plain `sync` (every filesystem) where that option is missing.
import { execFile } from 'node:child_process';

/** Where `sync` is looked for: on the PATH, then where Linux systems keep it (a service's PATH may be bare). */
const SYNC_COMMANDS = ['sync', '/usr/bin/sync', '/bin/sync'];

/** The outcome of one `sync`: done, failed (and why), or no such command. */
type SyncOutcome = { ok: true } | { ok: false; why: string } | { ok: false; missing: true };

function runSync(command: string, args: string[]): Promise<SyncOutcome> {
  return new Promise((resolve) => {
    execFile(command, args, (error, _stdout, stderr) => {
      if (!error) return resolve({ ok: true });
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return resolve({ ok: false, missing: true });
      resolve({ ok: false, why: stderr.trim().split('\n')[0] || error.message.split('\n')[0] });
    });
  });
}

/** `sync` with `args` from the first place it is found. */
async function syncWith(args: string[]): Promise<SyncOutcome> {
  for (const command of SYNC_COMMANDS) {
    const outcome = await runSync(command, args);
    if (!('missing' in outcome)) return outcome;
  }
  return { ok: false, missing: true };
}

export class FlushError extends Error {}

/**
 * Flushes to disk every file written on the filesystems that hold `paths` (existing paths). Resolves to
 * a warning when there is no `sync` command at all (a container without coreutils or BusyBox): then
 * nothing was flushed. Throws a FlushError when `sync` fails.
 */
export async function flushFilesystems(paths: string[]): Promise<string | undefined> {
  const unique = [...new Set(paths)];
  if (unique.length === 0) return undefined;
  const perFilesystem = await syncWith(['-f', '--', ...unique]);
  if (perFilesystem.ok) return undefined;
  const whole = await syncWith([]);
  if (whole.ok) return undefined;
  if ('missing' in whole) {
    return `no sync command was found (on the PATH, in /usr/bin or /bin): the restored files were not flushed to disk before the swap, so a power loss soon after could leave some of them empty; install coreutils or BusyBox`;
  }
  const first = 'why' in perFilesystem ? perFilesystem.why : 'not found';
  throw new FlushError(`the staged files could not be flushed to disk (sync -f: ${first}; sync: ${whole.why})`);
}
