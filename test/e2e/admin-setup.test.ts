// The first run in Chromium: the one-time setup link creates the first admin; then download an archive
// (same bytes as on disk), roll back with the password from the dialog, and delete several rows with
// the confirmation. Screenshots go to test-results/.
import { DatabaseSync as Database } from 'node:sqlite';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDemoShop } from '../../src/demo/shop.js';
import { AFTER_PASSWORD_CHECK, ARTIFACTS, launchChromium } from '../helpers/browser.js';
import { startServer, type RunningServer } from '../helpers/server.js';


describe('first run in Chromium', () => {
  let server: RunningServer;
  let browser: Browser;
  let backupDir: string;
  let dbFile: string;

  beforeAll(async () => {
    const shop = await ensureDemoShop(path.join(await mkdtemp(path.join(tmpdir(), 'lifeboat-setup-')), 'shop'));
    backupDir = path.join(shop.root, 'var', 'backups');
    dbFile = shop.databaseFile;
    server = await startServer({ LIFEBOAT_ROOT: shop.root, LIFEBOAT_DATABASE_URL: shop.databaseUrl });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    expect(await server?.stop()).toBe(0);
  });

  it('creates the admin from the setup link, downloads, rolls back with the password and deletes', async () => {
    expect(server.setupToken).toBeDefined();
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
    await page.goto(`${server.base}/#setup=${server.setupToken}`);
    const setup = page.locator('#setup-form');
    await setup.getByLabel('Username').fill('owner');
    await setup.getByLabel(/^Password/).fill('owner password 1');
    await setup.getByRole('button', { name: 'Create admin' }).click();
    await expect.poll(() => page.getByRole('heading', { name: 'Backups' }).isVisible(), AFTER_PASSWORD_CHECK).toBe(true);

    const storeNames = () => {
      const db = new Database(dbFile, { readOnly: true });
      try {
        return (db.prepare('SELECT name FROM store ORDER BY store_id').all() as { name: string }[]).map((r) => r.name);
      } finally {
        db.close();
      }
    };
    const original = storeNames();
    for (const name of ['first', 'second']) {
      // Between the two backups the shop changes: rolling back "first" must undo it.
      if (name === 'second') {
        const db = new Database(dbFile);
        db.prepare("UPDATE store SET name = 'changed after first'").run();
        db.close();
      }
      await page.getByRole('button', { name: 'Database Backup', exact: true }).click();
      await page.getByRole('dialog').getByLabel('Name (optional)').fill(name);
      await page.getByRole('dialog').getByRole('button', { name: 'OK' }).click();
      // The backup's own row, with its Download link: a job row with the name shows up as soon as the job
      // starts, and changing the shop before the dump is done would race it.
      await expect.poll(() => page.getByRole('row').filter({ hasText: name }).getByRole('link', { name: 'Download' }).count(), { timeout: 30_000 }).toBe(1);
    }

    const row = page.getByRole('row').filter({ hasText: 'first' });
    const [download] = await Promise.all([page.waitForEvent('download'), row.getByRole('link', { name: 'Download' }).click()]);
    const file = download.suggestedFilename();
    expect(file).toMatch(/^\d+_db_first\.sql\.gz$/);
    const downloaded = readFileSync(await download.path());
    expect(createHash('sha256').update(downloaded).digest('hex')).toBe(createHash('sha256').update(readFileSync(path.join(backupDir, file))).digest('hex'));

    await row.getByRole('button', { name: /^Rollback to / }).click();
    const dialog = page.getByRole('dialog');
    expect(await dialog.textContent()).toMatch(/replaces the whole database/);
    await dialog.getByLabel('Your password').fill('not the password');
    await dialog.getByRole('button', { name: 'Roll back' }).click();
    // Said beside the password field, as a sentence; typing again takes it away.
    const password = dialog.getByLabel('Your password');
    await expect.poll(() => page.locator('#rollback-password-error').textContent(), AFTER_PASSWORD_CHECK).toBe('Wrong password.');
    expect(await password.getAttribute('aria-invalid')).toBe('true');
    expect(await password.getAttribute('aria-describedby')).toBe('rollback-password-error');
    await dialog.getByLabel('Your password').fill('owner password 1');
    await dialog.getByRole('button', { name: 'Roll back' }).click();
    expect(await page.locator('#rollback-password-error').count()).toBe(0);
    await expect.poll(() => page.locator('tr.job-row').filter({ hasText: /Rollback to \d+ \w+ \d\d:\d\d Database backup “first”/ }).getByText('Rolled back').isVisible(), { timeout: 30_000 }).toBe(true);
    await page.screenshot({ path: path.join(ARTIFACTS, 'admin-rollback-done.png'), fullPage: true });
    expect(storeNames()).toEqual(original);
    expect(original).not.toContain('changed after first');

    // The dialog's "First take a backup" was ticked (its default): the store as it was is a backup of its own.
    await expect.poll(() => page.locator('#grid tbody tr[data-id]').filter({ hasText: 'before rollback' }).count(), { timeout: 10_000 }).toBe(1);
    await page.getByRole('checkbox', { name: 'Select all on this page' }).check();
    await page.getByRole('button', { name: 'Delete (3)' }).click();
    expect(await page.getByRole('dialog').textContent()).toMatch(/archive files will be removed/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'admin-delete-confirm.png') });
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await expect.poll(() => page.getByText('No backups yet.').isVisible(), { timeout: 10_000 }).toBe(true);
    expect((await readdir(backupDir)).filter((f) => f.endsWith('.sql.gz'))).toEqual([]);

    await page.getByRole('button', { name: 'Audit log' }).click();
    await expect.poll(() => page.locator('#audit tbody tr').count()).toBeGreaterThan(5);
    await page.screenshot({ path: path.join(ARTIFACTS, 'admin-audit.png'), fullPage: true });
    await page.close();
  });
});
