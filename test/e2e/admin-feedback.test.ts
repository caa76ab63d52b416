// What the admin page tells its user, in Debian's Chromium: the backup name rule and the name a backup
// will get while it is typed, finished jobs kept under Recent jobs in words, and errors as sentences beside
// their field (or on the view's line), gone at the next action, never in an alert() box.
import { userInfo } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, openSignedIn } from '../helpers/browser.js';
import { runCli } from '../helpers/cli.js';
import { startPageBed, type PageBed } from '../helpers/page-bed.js';

const PASSWORD = 'feedback test password';
const TIME = '\\d+ \\w+ \\d\\d:\\d\\d';

describe('what the admin page says', () => {
  let bed: PageBed;
  /** The text of every alert(), confirm() or prompt() the page opened: there must be none. */
  const boxes: string[] = [];

  async function open(width: number, height: number): Promise<Page> {
    const page = await bed.browser.newPage({ viewport: { width, height } });
    page.on('dialog', (box) => {
      boxes.push(box.message());
      void box.dismiss();
    });
    await openSignedIn(page, bed.server.base, 'ada', PASSWORD);
    return page;
  }

  beforeAll(async () => {
    bed = await startPageBed(PASSWORD, { users: { ada: 'admin' } });
  }, 60_000);

  afterAll(async () => {
    expect(await bed?.stop()).toBe(0);
    expect(boxes).toEqual([]);
  });

  it('shows the name rule and the name a backup will get, and names the finished job by it', async () => {
    const page = await open(390, 844);
    await page.getByRole('button', { name: 'Database Backup', exact: true }).click();
    const dialog = page.getByRole('dialog');
    const name = dialog.getByLabel('Name (optional)');
    // The rule and the preview are the field's description, for a screen reader too.
    expect(await name.getAttribute('aria-describedby')).toBe('create-name-rule create-name-preview');
    expect(await dialog.getByText('Only letters a–z, digits and spaces are kept').isVisible()).toBe(true);
    expect(await page.locator('#create-name-preview').textContent()).toBe('No name: the backup is known by its time and type.');
    await name.fill('v2.4.7 upgrade! café');
    expect(await page.locator('#create-name-preview').textContent()).toBe('Saved as “v247 upgrade caf” (changed by the rule above).');
    await page.screenshot({ path: path.join(ARTIFACTS, 'feedback-phone-name-rule.png') });
    await dialog.getByRole('button', { name: 'OK' }).click();

    // The archive's file name has "_" for the spaces; the page shows the name as the preview said.
    const made = page.locator('#grid tbody tr[data-id]').filter({ hasText: 'v247 upgrade caf' });
    await expect.poll(() => made.count(), { timeout: 30_000 }).toBe(1);
    expect(await made.getByRole('link', { name: /^Download / }).getAttribute('download')).toMatch(/^\d+_db_v247_upgrade_caf\.sql\.gz$/);
    const recent = page.locator('#recent-jobs li').first();
    await expect.poll(() => recent.innerText(), { timeout: 10_000 }).toMatch(new RegExp(`^Done\\s+Database backup “v247 upgrade caf”\\s+${TIME} · took (under 1 s|\\d+ s) · from this page · user ada$`));

    // A job of the command line is listed as such once the page looks again.
    expect((await runCli(['backup', 'db', '--name', 'from the shell'], bed.env)).code).toBe(0);
    await page.getByRole('button', { name: 'Backups' }).click();
    await expect.poll(() => recent.innerText()).toMatch(new RegExp(`^Done\\s+Database backup “from the shell”\\s+${TIME} · took (under 1 s|\\d+ s) · from the command line · user cli:${userInfo().username}$`));
    await page.screenshot({ path: path.join(ARTIFACTS, 'feedback-phone-recent-jobs.png'), fullPage: true });
    await page.close();
  });

  it('says why a delete failed on the page, not in an alert box, until the next action', async () => {
    const page = await open(1280, 800);
    const row = page.locator('#grid tbody tr[data-id]').filter({ hasText: 'from the shell' });
    await row.getByRole('checkbox').check();
    // Gone behind the page's back: the page's delete then fails for it.
    const id = await row.getAttribute('data-id');
    expect((await runCli(['delete', id!, '--yes'], bed.env)).code).toBe(0);
    await page.getByRole('button', { name: 'Delete (1)' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    const error = page.locator('#jobs-error');
    await expect.poll(() => error.textContent()).toMatch(new RegExp(`^Could not delete the Database backup “from the shell” of ${TIME}: No backup "${id}"\\.$`));
    expect(await error.getAttribute('role')).toBe('alert');
    await page.screenshot({ path: path.join(ARTIFACTS, 'feedback-delete-failed.png') });
    await page.getByRole('button', { name: 'Database Backup', exact: true }).click();
    expect(await error.textContent()).toBe('');
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
    await page.close();
  });

  it("says a failed test notification's reason beside the webhook field, in words, and takes it away on an edit", async () => {
    const page = await open(1280, 1000);
    await page.getByRole('button', { name: 'Settings' }).click();
    // Loaded: the view's fill would overwrite what is typed before.
    await expect.poll(() => page.locator('#schedule-next').textContent()).not.toBe('Loading…');
    const form = page.getByRole('form', { name: 'Notifications' });
    const webhook = form.getByLabel('Webhook URL');
    await webhook.fill('http://127.0.0.1:25/hook');
    await form.getByRole('button', { name: 'Save notifications' }).click();
    await expect.poll(() => form.getByRole('status').textContent()).toBe('Notifications saved.');
    await form.getByRole('button', { name: 'Send test notification' }).click();
    const note = page.locator('#notify-webhook-error');
    await expect.poll(() => note.textContent(), { timeout: 10_000 }).toBe(
      "Webhook http://127.0.0.1:25: the URL's port is one that belongs to another protocol (such as mail), and is refused for web requests; use the webhook's own port.",
    );
    expect(await webhook.getAttribute('aria-invalid')).toBe('true');
    expect(await form.locator('#notify-error').textContent()).toBe('');
    await page.screenshot({ path: path.join(ARTIFACTS, 'feedback-webhook-error.png'), fullPage: true });
    await webhook.fill('https://hooks.example.com/x');
    expect(await note.count()).toBe(0);
    expect(await webhook.getAttribute('aria-invalid')).toBe(null);
    await page.close();
  });
});
