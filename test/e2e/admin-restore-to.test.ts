// "Restore to…" on the admin page in Chromium: an admin restores a database backup into another database
// from a row's dialog (password asked again), and a code backup into a folder alone; a refusal (the shop's own database) stands beside its field;
// the job shows in the grid and the copy holds the backup's rows while the shop is byte for byte as it
// was. A role without the admin resource has no such button, and the API answers it 403.
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AFTER_PASSWORD_CHECK, ARTIFACTS, openSignedIn } from '../helpers/browser.js';
import { runCli } from '../helpers/cli.js';
import { startPageBed, type PageBed } from '../helpers/page-bed.js';

const PASSWORD = 'restore page password';

function customers(file: string): number {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    return Number((db.prepare('SELECT COUNT(*) AS n FROM customer_entity').get() as { n: number }).n);
  } finally {
    db.close();
  }
}

const sha256 = async (file: string) => createHash('sha256').update(await readFile(file)).digest('hex');

describe('Restore to… on the admin page', () => {
  let bed: PageBed;
  let shopFile: string;
  let copyFile: string;

  beforeAll(async () => {
    bed = await startPageBed(PASSWORD, { roles: { undoer: 'backup,rollback' }, users: { ada: 'admin', olga: 'undoer' } }, async (env) => {
      const taken = await runCli(['backup', 'db', '--name', 'for staging'], env);
      expect(taken.code, taken.stderr).toBe(0);
      const code = await runCli(['backup', 'code', '--name', 'code for a developer'], env);
      expect(code.code, code.stderr).toBe(0);
    });
    shopFile = bed.env.LIFEBOAT_DATABASE_URL.slice('sqlite://'.length);
    copyFile = path.join(await mkdtemp(path.join(tmpdir(), 'lifeboat-page-restore-')), 'staging', 'copy.db');
  });

  afterAll(async () => {
    expect(await bed?.stop()).toBe(0);
  });

  it('restores a backup into another database from the row, leaving the shop as it was', async () => {
    const shopBefore = await sha256(shopFile);
    const page = await bed.browser.newPage({ viewport: { width: 1280, height: 800 } });
    await openSignedIn(page, bed.server.base, 'ada', PASSWORD);
    const row = page.locator('#grid tbody tr[data-id]').filter({ hasText: 'for staging' });
    await expect.poll(() => row.count()).toBe(1);

    await row.getByRole('button', { name: /^Restore to…: Database backup/ }).click();
    const dialog = page.getByRole('dialog', { name: 'Restore to another place' });
    await expect.poll(() => dialog.isVisible()).toBe(true);
    expect(await dialog.getByLabel('Folder for the files').isVisible()).toBe(false); // a database backup

    // The shop's own database is refused beside the field, and nothing starts.
    await dialog.getByLabel('Database to restore into').fill(bed.env.LIFEBOAT_DATABASE_URL);
    await dialog.getByLabel('Your password').fill(PASSWORD);
    await dialog.getByRole('button', { name: 'Restore' }).click();
    await expect.poll(() => page.locator('#restore-database-error').textContent(), AFTER_PASSWORD_CHECK).toMatch(/^--to-database names the shop's own database .*use lifeboat rollback\.$/);

    await dialog.getByLabel('Database to restore into').fill(`sqlite://${copyFile}`);
    await page.screenshot({ path: path.join(ARTIFACTS, 'admin-restore-to.png') });
    await dialog.getByRole('button', { name: 'Restore' }).click();
    await expect.poll(() => dialog.isVisible(), AFTER_PASSWORD_CHECK).toBe(false);
    await expect.poll(() => page.locator('#recent-jobs').innerText(), { timeout: 30_000 }).toMatch(/Restore of the .* to another place/);
    await expect.poll(() => customers(copyFile), { timeout: 30_000 }).toBe(customers(shopFile));
    expect(await sha256(shopFile)).toBe(shopBefore);
    await page.close();
  }, 120_000);

  it('restores a code backup, which holds no database, into a folder alone: the page asks for no database', async () => {
    const page = await bed.browser.newPage({ viewport: { width: 1280, height: 800 } });
    await openSignedIn(page, bed.server.base, 'ada', PASSWORD);
    const row = page.locator('#grid tbody tr[data-id]').filter({ hasText: 'code for a developer' });
    await expect.poll(() => row.count()).toBe(1);
    await row.getByRole('button', { name: /^Restore to…/ }).click();
    const dialog = page.getByRole('dialog', { name: 'Restore to another place' });
    await expect.poll(() => dialog.isVisible()).toBe(true);
    expect(await dialog.getByLabel('Database to restore into').isVisible()).toBe(false);
    expect(await dialog.getByLabel('Base URL of the copy (Magento; optional)').isVisible()).toBe(false);
    const folder = path.join(path.dirname(path.dirname(copyFile)), 'code-copy');
    await dialog.getByLabel('Folder for the files').fill(folder);
    await dialog.getByLabel('Your password').fill(PASSWORD);
    await dialog.getByRole('button', { name: 'Restore' }).click();
    await expect.poll(() => dialog.isVisible(), AFTER_PASSWORD_CHECK).toBe(false);
    await expect.poll(async () => (await readdir(folder).catch(() => [])).length, { timeout: 30_000 }).toBeGreaterThan(0);
    const shopNames = await readdir(bed.env.LIFEBOAT_ROOT);
    for (const name of await readdir(folder)) expect(shopNames).toContain(name);
    await page.close();
  }, 120_000);

  it('is not offered to a role without the admin resource, and the API refuses it', async () => {
    const page = await bed.browser.newPage({ viewport: { width: 1280, height: 800 } });
    await openSignedIn(page, bed.server.base, 'olga', PASSWORD);
    const row = page.locator('#grid tbody tr[data-id]').filter({ hasText: 'for staging' });
    await expect.poll(() => row.count()).toBe(1);
    expect(await row.getByRole('button', { name: /Rollback/ }).count()).toBe(1);
    expect(await row.getByRole('button', { name: /Restore/ }).count()).toBe(0);
    const id = await row.getAttribute('data-id');
    // Through the page's own API module (its session and CSRF token); as a string, which the test runner leaves alone.
    const status = await page.evaluate(`import('./api.js').then(({ api }) => api('POST', 'api/backups/${encodeURIComponent(id ?? '')}/restore-to', { password: ${JSON.stringify(PASSWORD)}, toDatabase: 'sqlite:///tmp/never.db' }).then(() => 202, (error) => error.status))`);
    expect(status).toBe(403);
    await page.close();
  }, 120_000);
});
