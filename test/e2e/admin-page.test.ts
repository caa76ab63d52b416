// The admin page in Debian's Chromium (playwright-core, /usr/bin/chromium): sign in, take a Database
// Backup from its dialog, see the row in the grid, then the other types, filter and sort; a role without
// rollback sees no Rollback action.
// Screenshots go to test-results/ for a person to look at. Fails (never skips) without Chromium.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDemoShop } from '../../src/demo/shop.js';
import { AFTER_PASSWORD_CHECK, ARTIFACTS, launchChromium, signInOnPage } from '../helpers/browser.js';
import { runCli, startCli } from '../helpers/cli.js';
import { addAccounts, startServer, type RunningServer } from '../helpers/server.js';

const PASSWORD = 'page test password';

const signInAs = (page: Page, username: string) => signInOnPage(page, username, PASSWORD);

describe('the admin page in Chromium', () => {
  let server: RunningServer;
  let browser: Browser;
  let env: Record<string, string>;

  beforeAll(async () => {
    const shop = await ensureDemoShop(path.join(await mkdtemp(path.join(tmpdir(), 'lifeboat-page-')), 'shop'));
    env = { LIFEBOAT_ROOT: shop.root, LIFEBOAT_DATABASE_URL: shop.databaseUrl };
    await addAccounts(env, PASSWORD, { roles: { operator: 'backup' }, users: { ada: 'admin', olga: 'operator' } });
    server = await startServer(env);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    expect(await server?.stop()).toBe(0);
  });

  it('signs in, takes a Database Backup from the dialog and shows it in the grid', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${server.base}/`);
    await signInAs(page, 'ada');
    await expect.poll(() => page.getByRole('heading', { name: 'Backups' }).isVisible(), AFTER_PASSWORD_CHECK).toBe(true);

    await page.getByRole('button', { name: 'Database Backup', exact: true }).click();
    const dialog = page.getByRole('dialog');
    await expect.poll(() => dialog.isVisible()).toBe(true);
    expect(await dialog.getByLabel('Include Media folder to System Backup').isVisible()).toBe(false);
    await dialog.getByLabel('Name (optional)').fill('before upgrade');
    await dialog.getByRole('button', { name: 'OK' }).click();

    const row = page.locator('#grid tbody tr[data-id]').filter({ hasText: 'before upgrade' });
    await expect.poll(() => row.count(), { timeout: 30_000 }).toBe(1);
    const cells = await row.getByRole('cell').allInnerTexts();
    expect(cells[3]).toMatch(/^\d+(\.\d+)? (B|KiB|MiB)$/);
    expect(cells[4]).toBe('Database');
    expect(await row.getByRole('link', { name: 'Download' }).count()).toBe(1);
    expect(await row.getByRole('button', { name: /^Rollback to / }).count()).toBe(1);
    await page.screenshot({ path: path.join(ARTIFACTS, 'admin-backups.png'), fullPage: true });

    await page.getByRole('button', { name: 'System Backup', exact: true }).click();
    expect(await page.getByLabel('Include Media folder to System Backup').isChecked()).toBe(true);
    await page.screenshot({ path: path.join(ARTIFACTS, 'admin-system-dialog.png') });
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();

    // Each other type from its dialog: System without media (nomedia), then Database and Media.
    const kinds = [
      { button: 'System Backup', name: 'no media', type: 'System (no media)', uncheck: true },
      { button: 'Database and Media Backup', name: 'with media', type: 'Database and Media', uncheck: false },
    ];
    for (const kind of kinds) {
      await page.getByRole('button', { name: kind.button, exact: true }).click();
      const form = page.getByRole('dialog');
      await form.getByLabel('Name (optional)').fill(kind.name);
      if (kind.uncheck) await form.getByLabel('Include Media folder to System Backup').uncheck();
      else expect(await form.getByLabel('Include Media folder to System Backup').isVisible()).toBe(false);
      await form.getByRole('button', { name: 'OK' }).click();
      const made = page.locator('#grid tbody tr[data-id]').filter({ hasText: kind.name });
      await expect.poll(() => made.count(), { timeout: 60_000 }).toBe(1);
      expect((await made.getByRole('cell').allInnerTexts())[4]).toBe(kind.type);
    }
    await page.getByLabel('Type', { exact: true }).selectOption('nomedia');
    await expect.poll(() => page.locator('#grid tbody tr').count()).toBe(1);
    await page.getByLabel('Type', { exact: true }).selectOption('');
    await page.getByRole('button', { name: 'Size' }).click();
    expect(await page.getByRole('columnheader', { name: 'Size' }).getAttribute('aria-sort')).toBe('descending');
    await page.screenshot({ path: path.join(ARTIFACTS, 'admin-all-types.png'), fullPage: true });
    await page.close();
  });

  it('shows no Rollback action to a role without the rollback resource', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${server.base}/`);
    await signInAs(page, 'olga');
    const row = page.locator('#grid tbody tr[data-id]').filter({ hasText: 'before upgrade' });
    await expect.poll(() => row.count(), { timeout: 10_000 }).toBe(1);
    expect(await page.locator('#grid tbody tr').count()).toBe(3);
    expect(await page.getByRole('button', { name: /^Rollback to / }).count()).toBe(0);
    // Browse, Verify and Delete need only the backup resource: the Action column stays, without Rollback.
    expect(new Set(await page.locator('#grid tbody tr[data-id] .c-action button').allTextContents())).toEqual(new Set(['Browse', 'Verify', 'Delete']));
    expect(await page.getByRole('button', { name: 'Audit log' }).isVisible()).toBe(false);
    await page.close();
  });

  it('warns of a rollback that was killed half-way until it is recovered', async () => {
    const backup = await runCli(['backup', 'system', '--json'], env);
    expect(backup.code).toBe(0);
    const child = startCli(['rollback', JSON.parse(backup.stdout).id, '--yes'], { ...env, LIFEBOAT_PAUSE_AT: 'files-swapped' });
    await new Promise<void>((resolve) => child.stderr?.on('data', (chunk: Buffer) => chunk.toString().includes('paused at') && resolve()));
    const ended = new Promise((resolve) => child.on('close', resolve));
    child.kill('SIGKILL');
    await ended;

    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${server.base}/`);
    await signInAs(page, 'ada');
    const warning = page.locator('#backups-warning');
    await expect.poll(() => warning.innerText(), { timeout: 10_000 }).toMatch(/the rollback to \d+_snapshot\.tgz \(job j[0-9a-f]+, .*\) was interrupted at "files swapped"/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'admin-interrupted-rollback.png') });
    expect((await runCli(['recover'], env)).stdout).toMatch(/^recovered the rollback/m);
    await page.reload();
    await expect.poll(() => page.getByRole('heading', { name: 'Backups' }).isVisible()).toBe(true);
    await expect.poll(() => warning.innerText()).toBe('');
    await page.close();
  });
});
