// A rollback job drops the old tables and removes the replaced files in a detached process after it
// ends (the shop is whole by then): tests that look for leftovers after a successful rollback through
// the command wait for that cleanup first.
import { readdir } from 'node:fs/promises';

/** The rollback journals in Lifeboat's home (a background cleanup holds its rollback's until it ends). */
export async function rollbackJournals(home: string): Promise<string[]> {
  return (await readdir(home).catch(() => [] as string[])).filter((name) => name.startsWith('rollback-') && name.endsWith('.journal.json'));
}

/** Waits until no rollback journal is left in `home`: every background cleanup has ended (30 s at most). */
export async function rollbackCleanedUp(home: string): Promise<void> {
  for (let waited = 0; (await rollbackJournals(home)).length > 0; waited += 50) {
    if (waited > 30_000) throw new Error(`the rollback journals ${(await rollbackJournals(home)).join(', ')} are still there after 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The `.lifeboat-*` entries of `dir` once no rollback work folder is being removed there (30 s at most). */
export async function workFoldersLeft(dir: string): Promise<string[]> {
  const entries = async () => (await readdir(dir)).filter((name) => name.startsWith('.lifeboat-'));
  for (let waited = 0; waited < 30_000 && (await entries()).some((name) => name.startsWith('.lifeboat-rollback-')); waited += 50) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return entries();
}
