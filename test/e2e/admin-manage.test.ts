// The admin page's Settings, Users and roles, and job cancel in Debian's Chromium (playwright-core):
// a schedule saved on the page is what `lifeboat schedule show` prints (and the reverse), a target fixed
// by the environment is disabled, a role change takes the Rollback action away from that user, and a
// running backup cancelled from its grid row leaves no backup; its progress words break between their
// parts only, at 1280 and 390 px wide. Screenshots go to test-results/.
import { DatabaseSync as Database } from 'node:sqlite';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDemoShop } from '../../src/demo/shop.js';
import { ARTIFACTS, launchChromium, openSignedIn } from '../helpers/browser.js';
import { runCli } from '../helpers/cli.js';
import { progressPartsSplit } from '../helpers/page-checks.js';
import { addAccounts, runCliWithStdin, startServer, type RunningServer } from '../helpers/server.js';

const PASSWORD = 'manage test password';
const LONG_TABLE = 'catalog_product_entity_media_gallery_value_to_entity';

const signInAs = (page: Page, base: string, username: string) => openSignedIn(page, base, username, PASSWORD);

describe('settings, users and cancel in Chromium', () => {
  let server: RunningServer;
  let browser: Browser;
  let env: Record<string, string>;
  let dbFile: string;
  let backupDir: string;

  beforeAll(async () => {
    const shop = await ensureDemoShop(path.join(await mkdtemp(path.join(tmpdir(), 'lifeboat-manage-')), 'shop'));
    dbFile = shop.databaseFile;
    backupDir = path.join(shop.root, 'var', 'backups');
    env = { LIFEBOAT_ROOT: shop.root, LIFEBOAT_DATABASE_URL: shop.databaseUrl };
    await addAccounts(env, PASSWORD, { roles: { operator: 'backup', undoer: 'backup,rollback' }, users: { ada: 'admin', olga: 'undoer' } });
    // Fixed by the environment: the page must show it so and refuse to edit it.
    server = await startServer({ ...env, LIFEBOAT_NOTIFY_ON_SUCCESS: 'false' });
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    expect(await server?.stop()).toBe(0);
  });

  it('saves the schedule on the Settings page for the CLI to see, and shows what the CLI saved', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 }, timezoneId: 'Europe/Berlin', locale: 'en-GB' });
    await signInAs(page, server.base, 'ada');
    await page.getByRole('button', { name: 'Settings' }).click();
    const form = page.getByRole('form', { name: 'Backup schedule' });
    await expect.poll(() => form.getByText('No schedule yet').isVisible()).toBe(true);
    // Nothing is scheduled yet, so nothing says it is enabled.
    expect(await form.getByLabel('Enable scheduled backups').isChecked()).toBe(false);
    expect(await form.getByLabel('Day of the week').isVisible()).toBe(false);

    await form.getByLabel('Enable scheduled backups').check();
    await form.getByLabel('Backup type').selectOption('system');
    await form.getByLabel('Frequency').selectOption('weekly');
    await form.getByLabel('Day of the week').selectOption('3');
    await form.getByLabel('Start time').fill('03:15');
    await form.getByLabel('Time zone').fill('Europe/Berlin');
    await form.getByLabel('Put the store into maintenance mode while the backup runs').check();
    await form.getByLabel('Daily').fill('7');
    await form.getByRole('button', { name: 'Save schedule' }).click();
    await expect.poll(() => form.getByRole('status').textContent()).toBe('Schedule saved.');
    const shown = JSON.parse((await runCli(['schedule', 'show', '--json'], env)).stdout);
    expect(shown).toMatchObject({ enabled: true, type: 'system', frequency: 'weekly', weekday: 3, time: '03:15:00', timezone: 'Europe/Berlin', maintenance: true, retention: { keepDaily: 7 } });
    // With its weekday: the Wednesday it was set to (in the browser's zone, here the schedule's own).
    expect(await form.getByText(/^Next run: Wednesday, \d+ \w+ \d{4} at 03:15\.$/).isVisible()).toBe(true);

    // A bad value: the API's reason as a sentence beside its field, nothing saved.
    await form.getByLabel('Time zone').fill('Mars/Olympus');
    await form.getByRole('button', { name: 'Save schedule' }).click();
    await expect.poll(() => form.locator('#schedule-timezone-error').textContent()).toMatch(/^Unknown time zone "Mars\/Olympus"/);
    expect(await form.getByLabel('Time zone').getAttribute('aria-invalid')).toBe('true');
    expect(JSON.parse((await runCli(['schedule', 'show', '--json'], env)).stdout).timezone).toBe('Europe/Berlin');

    // The notification target fixed by the environment is disabled and says so; the webhook is stored masked.
    const notify = page.getByRole('form', { name: 'Notifications' });
    expect(await notify.getByLabel('Also notify when a job succeeds').isDisabled()).toBe(true);
    expect(await notify.getByText('Fixed by LIFEBOAT_NOTIFY_ON_SUCCESS or the config file: change it there.').isVisible()).toBe(true);
    expect(await notify.getByLabel('Webhook URL').isDisabled()).toBe(false);
    await notify.getByLabel('Webhook URL').fill('https://hooks.example.com/services/T000/B000/very-secret');
    await notify.getByRole('button', { name: 'Save notifications' }).click();
    await expect.poll(() => notify.getByRole('status').textContent()).toBe('Notifications saved.');
    expect(await notify.getByLabel('Webhook URL').inputValue()).toBe('https://hooks.example.com/********');
    // File backups made incremental from the page: the CLI's next System backup goes into the store.
    const files = page.getByRole('form', { name: 'File backups' });
    expect(await files.getByLabel('Incremental: store System').isChecked()).toBe(false);
    await files.getByLabel('Incremental: store System').check();
    await files.getByRole('button', { name: 'Save incremental setting' }).click();
    await expect.poll(() => files.getByRole('status').textContent()).toBe('File backups are incremental from the next one.');
    const incremental = await runCli(['backup', 'system', '--json'], env);
    const taken = JSON.parse(incremental.stdout) as { id: string; file: string };
    expect(taken.file).toMatch(/\.incremental\.json$/);
    expect((await runCli(['delete', taken.id, '--yes'], env)).code).toBe(0); // the tests below count one backup
    await page.screenshot({ path: path.join(ARTIFACTS, 'admin-settings.png'), fullPage: true });

    // The reverse: set with the CLI, seen on the page.
    expect((await runCli(['schedule', 'set', '--frequency', 'monthly', '--day-of-month', '15', '--time', '05:45'], env)).code).toBe(0);
    await page.getByRole('button', { name: 'Backups' }).click();
    await page.getByRole('button', { name: 'Settings' }).click();
    await expect.poll(() => form.getByLabel('Start time').inputValue()).toBe('05:45');
    expect(await form.getByLabel('Frequency').inputValue()).toBe('monthly');
    expect(await form.getByLabel('Day of the month').inputValue()).toBe('15');
    expect(await form.getByLabel('Time zone').inputValue()).toBe('Europe/Berlin');
    await page.close();
  });

  it("changes a user's role on the Users page; that user then sees no Rollback action", async () => {
    // The whole result, so that a failure shows the command's stderr.
    expect(await runCli(['backup', 'db', '--name', 'for rollback'], env)).toMatchObject({ code: 0 });
    const olga = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await signInAs(olga, server.base, 'olga');
    await expect.poll(() => olga.getByRole('button', { name: /^Rollback to / }).count()).toBe(1);

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await signInAs(page, server.base, 'ada');
    await page.getByRole('button', { name: 'Users and roles' }).click();
    const role = page.getByLabel('Role of olga');
    await expect.poll(() => role.inputValue()).toBe('undoer');

    // A role with rollback but not backup is refused with the API's reason, beside the Backups box it lacks.
    const roleForm = page.getByRole('form', { name: 'Add a role' });
    await roleForm.getByLabel('Role name').fill('undo-only');
    await roleForm.getByRole('checkbox', { name: /^Backups:/ }).uncheck();
    await roleForm.getByRole('checkbox', { name: /^Rollback/ }).check();
    await roleForm.getByRole('button', { name: 'Save role' }).click();
    await expect.poll(() => page.locator('#role-resource-backup-error').textContent()).toBe('A role with the rollback resource must also have the backup resource.');
    expect(await page.locator('#role-resource-backup').getAttribute('aria-invalid')).toBe('true');

    await role.selectOption('operator');
    await expect.poll(() => page.locator('tr[data-user="olga"] .saved-mark').textContent()).toBe('Saved');
    await page.screenshot({ path: path.join(ARTIFACTS, 'admin-users.png'), fullPage: true });
    const users = JSON.parse((await runCliWithStdin(['user', 'list', '--json'], env, '')).stdout) as { username: string; role: string }[];
    expect(users.find((u) => u.username === 'olga')?.role).toBe('operator');

    await olga.reload();
    await expect.poll(() => olga.locator('#grid tbody tr[data-id]').filter({ hasText: 'for rollback' }).count()).toBe(1);
    expect(await olga.getByRole('button', { name: /^Rollback to / }).count()).toBe(0);
    // Browse, Verify and Delete need only the backup resource: the Action column stays, without Rollback.
    expect(new Set(await olga.locator('#grid tbody tr[data-id] .c-action button').allTextContents())).toEqual(new Set(['Browse', 'Verify', 'Delete']));
    await olga.close();
    await page.close();
  });

  it('cancels a running backup from its grid row: shown as cancelled, no new backup', async () => {
    // About 8 s of dumping on an idle machine: a big table of incompressible text. Its long name (one of
    // Magento's) makes the progress words wider than a phone's card: they must break between their parts.
    const db = new Database(dbFile);
    db.exec(`CREATE TABLE ${LONG_TABLE} (id INTEGER PRIMARY KEY, v TEXT);
      WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000) INSERT INTO ${LONG_TABLE} SELECT i, hex(randomblob(100)) FROM n;`);
    db.close();
    const before = (await readdir(backupDir)).sort();

    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await signInAs(page, server.base, 'ada');
    await page.getByRole('button', { name: 'Database Backup', exact: true }).click();
    await page.getByRole('dialog').getByLabel('Name (optional)').fill('too slow');
    await page.getByRole('dialog').getByRole('button', { name: 'OK' }).click();

    const row = page.locator('tr.job-row');
    const cancel = row.getByRole('button', { name: 'Cancel Database backup “too slow”' });
    await expect.poll(() => cancel.count(), { timeout: 10_000 }).toBe(1);
    // Live progress inside the row: phase, bytes, rate.
    await expect.poll(() => row.locator('.job-progress').textContent(), { timeout: 10_000 }).toMatch(/ · \d+(\.\d+)? (KiB|MiB) · [\d.]+ (KiB|MiB)\/s/);
    expect(await progressPartsSplit(row, 1280)).toEqual([]);
    await page.screenshot({ path: path.join(ARTIFACTS, 'admin-job-progress.png') });
    // On a phone the job is a card: its progress and its Cancel button are on the screen, nothing scrolls sideways.
    await page.setViewportSize({ width: 390, height: 844 });
    const box = await cancel.boundingBox();
    expect(box!.x + box!.width).toBeLessThanOrEqual(390);
    expect(await row.locator('progress').isVisible()).toBe(true);
    await row.scrollIntoViewIfNeeded();
    expect(await progressPartsSplit(row, 390)).toEqual([]);
    expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
    await page.screenshot({ path: path.join(ARTIFACTS, 'admin-phone-job-progress.png') });
    await page.setViewportSize({ width: 1280, height: 800 });

    // By keyboard: focus the button (it survives progress updates) and press Enter.
    await cancel.focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => row.getByText('Cancelled').isVisible(), { timeout: 60_000 }).toBe(true);
    // No size as if it were a backup; the job stays listed under Recent jobs, said as a person would.
    expect(await row.locator('.c-size').textContent()).toBe('—');
    const recent = page.locator('#recent-jobs li').first();
    await expect.poll(() => recent.innerText(), { timeout: 10_000 }).toMatch(/^Cancelled\s+Database backup “too slow”\s+\d+ \w+ \d\d:\d\d · took .+ · from this page · user ada\s+Cancelled by ada on this page\.$/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'admin-job-cancelled.png'), clip: { x: 0, y: 0, width: 1280, height: 580 } });
    expect(await page.locator('#grid tbody tr[data-id]').filter({ hasText: 'too slow' }).count()).toBe(0);
    expect((await readdir(backupDir)).sort()).toEqual(before);
    const jobs = JSON.parse((await runCli(['jobs', '--json'], env)).stdout) as { description: string; state: string; error?: string }[];
    expect(jobs[0]).toMatchObject({ description: 'backup db "too slow"', state: 'cancelled', error: 'cancelled by ada (web)' });

    // The audit log says the backup was cancelled, not that it failed.
    await page.getByRole('button', { name: 'Audit log' }).click();
    const entry = page.locator('#audit tbody tr').filter({ hasText: 'Database backup' }).filter({ hasText: 'too slow' });
    await expect.poll(() => entry.locator('.badge').textContent(), { timeout: 10_000 }).toBe('Cancelled');
    await page.close();
  }, 120_000);
});
