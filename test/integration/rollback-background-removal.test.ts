// A rollback job ends once the shop is whole; the replaced files (the old tree in the work folder) are
// removed afterwards by a detached process that the journal names. Through the real `lifeboat` on the
// demo shop (SQLite): the command returns with the shop already the backup's, the removal finishes on
// its own; while it runs, the next job neither waits nor reports it; killed half-way (SIGKILL), the next
// `lifeboat recover` finishes it.
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureDemoShop } from '../../src/demo/shop.js';
import { runCli } from '../helpers/cli.js';

interface Journal {
  process: { pid: number };
  removingWorkFolders?: true;
  files?: { units: { work: string }[] };
}

describe('the removal of replaced files after a rollback', () => {
  let base: string;
  let root: string;
  let home: string;
  let env: Record<string, string>;
  let backupId: string;
  const cli = (args: string[], extra: Record<string, string> = {}) => runCli(args, { ...env, ...extra });
  const workFolders = async () => (await readdir(base)).filter((n) => n.startsWith('.lifeboat-'));
  const journals = async () => (await readdir(home)).filter((n) => n.startsWith('rollback-') && n.endsWith('.journal.json'));
  const readJournal = async (name: string) => JSON.parse(await readFile(path.join(home, name), 'utf8')) as Journal;
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };

  /** Waits until no rollback journal is left (the background removal settled), up to 30 s. */
  async function settled(): Promise<void> {
    for (let waited = 0; (await journals()).length > 0; waited += 50) {
      if (waited > 30_000) throw new Error(`the rollback journals ${(await journals()).join(', ')} are still there after 30 s`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Changes the shop (a file edited, one added), so that the rollback has something to put back. */
  async function changeShop(): Promise<void> {
    await writeFile(path.join(root, 'app/etc/env.php'), 'changed\n');
    await writeFile(path.join(root, 'added-after-the-backup.txt'), 'new\n');
  }

  async function expectBackupsShop(): Promise<void> {
    expect(await readFile(path.join(root, 'app/etc/env.php'), 'utf8')).not.toBe('changed\n');
    expect(existsSync(path.join(root, 'added-after-the-backup.txt'))).toBe(false);
  }

  beforeAll(async () => {
    base = await mkdtemp(path.join(tmpdir(), 'lifeboat-removal-'));
    const shop = await ensureDemoShop(path.join(base, 'shop'));
    root = shop.root;
    home = path.join(base, 'home');
    env = { LIFEBOAT_ROOT: root, LIFEBOAT_DATABASE_URL: shop.databaseUrl, LIFEBOAT_HOME: home, LIFEBOAT_BACKUP_DIR: path.join(base, 'backups') };
    const backup = await cli(['backup', 'system', '--json']);
    expect(backup.code).toBe(0);
    backupId = JSON.parse(backup.stdout).id;
  });

  it('returns with the shop whole; the replaced files go afterwards, with the journal', async () => {
    await changeShop();
    const rolled = await cli(['rollback', backupId, '--yes']);
    expect(rolled.stderr).toBe('');
    expect(rolled.code).toBe(0);
    await expectBackupsShop();
    const left = await journals();
    if (left.length) {
      const journal = await readJournal(left[0] as string);
      expect(journal.removingWorkFolders).toBe(true);
      expect(journal.process.pid).not.toBe(process.pid);
    }
    await settled();
    expect(await workFolders()).toEqual([]);
    expect((await cli(['recover'])).stdout).toMatch(/^nothing to recover/);
  });

  it('the next job does not wait for a removal that runs, and a removal killed half-way is finished by recover', async () => {
    await changeShop();
    const rolled = await cli(['rollback', backupId, '--yes'], { LIFEBOAT_PAUSE_AT: 'removing-work-folders' });
    expect(rolled.code).toBe(0);
    await expectBackupsShop();
    // The detached process holds the journal, paused before it removes anything.
    const [name] = await journals();
    const journal = await readJournal(name as string);
    expect(journal).toMatchObject({ removingWorkFolders: true });
    expect(alive(journal.process.pid)).toBe(true);
    const work = journal.files?.units.map((unit) => unit.work) ?? [];
    expect(work.length).toBeGreaterThan(0);
    expect(await workFolders()).toEqual(work.map((folder) => path.basename(folder)));

    // A backup meanwhile neither waits nor reports the removal; recover leaves it alone and quiet.
    const backup = await cli(['backup', 'db', '--json']);
    expect(backup.code).toBe(0);
    expect(backup.stderr).toBe('');
    const quiet = await cli(['recover']);
    expect(quiet.stdout).toMatch(/^nothing to recover/);

    process.kill(journal.process.pid, 'SIGKILL');
    for (let waited = 0; alive(journal.process.pid) && waited < 5000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
    const recovered = await cli(['recover']);
    expect(recovered.code).toBe(0);
    expect(recovered.stdout).toMatch(/^recovered the rollback to \d+_snapshot\.tgz \(job j[0-9a-f]+\), interrupted at "committed: removing the replaced files": the shop is the backup's/m);
    expect(recovered.stdout).toContain(`removed the work folder ${work[0]}`);
    expect(await journals()).toEqual([]);
    expect(await workFolders()).toEqual([]);
    await expectBackupsShop();
  });
});
