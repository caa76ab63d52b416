// A rollback job removes the replaced files in a detached process after it ends (the shop is whole by
// then): tests that look for leftover work folders after a successful rollback wait for that removal.
import { readdir } from 'node:fs/promises';

/** The `.lifeboat-*` entries of `dir` once no rollback work folder is being removed there (30 s at most). */
export async function workFoldersLeft(dir: string): Promise<string[]> {
  const entries = async () => (await readdir(dir)).filter((name) => name.startsWith('.lifeboat-'));
  for (let waited = 0; waited < 30_000 && (await entries()).some((name) => name.startsWith('.lifeboat-rollback-')); waited += 50) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return entries();
}
