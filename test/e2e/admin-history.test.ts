// Verify, Delete and the job history on the admin page, in Debian's Chromium on a phone (390×844) and a
// laptop (1280×800): a row's Verify runs a job whose outcome the row still shows after a reload (and the
// at-a-glance area as the last verify), a row's Delete asks first and removes the archive from the disk,
// the job history narrows by kind, outcome, what and who started a job (a job of an earlier version, which
// kept nobody, shows "-") and opens a job's log, and the Users
// and roles view says a refusal beside the field it concerns, with every user's and role's actions on
// screen. No sideways scroll, no serious axe findings.
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, openSignedIn } from '../helpers/browser.js';
import { runCli } from '../helpers/cli.js';
import { startPageBed, type PageBed } from '../helpers/page-bed.js';
import { axeFindings, axeSource as readAxeSource, sidewaysScroll, widest } from '../helpers/page-checks.js';

const PASSWORD = 'history page password';
const SIZES = [
  { name: 'phone', width: 390, height: 844 },
  { name: 'laptop', width: 1280, height: 800 },
];
/** A job's verify, its backup's row and the whole page can take a while on a busy machine. */
const JOB_END = { timeout: 60_000 };

describe('verify, delete and the job history on the page', () => {
  let bed: PageBed;
  let browser: Browser;
  let base: string;
  let backupDir: string;
  let axeSource: string;

  beforeAll(async () => {
    axeSource = await readAxeSource();
    bed = await startPageBed(PASSWORD, { users: { ada: 'admin' } }, async (env) => {
      for (const size of SIZES) {
        for (const what of ['keep', 'drop']) expect((await runCli(['backup', 'db', '--name', `${size.name} ${what}`], env)).code).toBe(0);
      }
      // The oldest job as an earlier version kept it: without who started it.
      const state = new DatabaseSync(path.join(env.LIFEBOAT_ROOT, 'var', 'lifeboat', 'lifeboat.db'));
      state.exec("UPDATE job SET started_by = NULL WHERE description = 'backup db \"phone keep\"'");
      state.close();
    });
    ({ browser } = bed);
    base = bed.server.base;
    backupDir = path.join(bed.env.LIFEBOAT_ROOT, 'var', 'backups');
  }, 120_000);

  afterAll(async () => {
    expect(await bed?.stop()).toBe(0);
  });

  const rowNamed = (page: Page, name: string) => page.locator('#grid tbody tr[data-id]').filter({ hasText: name });
  const checkPage = async (page: Page, what: string) => {
    expect(await sidewaysScroll(page), `${what}: ${await widest(page)}`).toBeLessThanOrEqual(0);
    expect(await axeFindings(page, axeSource), what).toEqual([]);
  };

  for (const size of SIZES) {
    it(`verifies and deletes from a row, and keeps the verify over a reload, at ${size.width}×${size.height}`, async () => {
      const page = await browser.newPage({ viewport: { width: size.width, height: size.height } });
      await openSignedIn(page, base, 'ada', PASSWORD);
      const keep = rowNamed(page, `${size.name} keep`);
      await expect.poll(() => keep.count()).toBe(1);

      await keep.getByRole('button', { name: /^Verify Database backup “\w+ keep” of / }).click();
      await expect.poll(() => keep.locator('.verify-note').textContent(), JOB_END).toBe('Verified just now');
      await page.reload();
      await expect.poll(() => rowNamed(page, `${size.name} keep`).locator('.verify-note').textContent(), JOB_END).toBe('Verified just now');
      const glance = page.getByRole('region', { name: 'At a glance' });
      expect(await glance.getByRole('group', { name: 'Last verify' }).innerText()).toMatch(new RegExp(`Passed[\\s\\S]*Database backup “${size.name} keep” of .*: whole`));
      await checkPage(page, 'a verified row');
      await page.screenshot({ path: path.join(ARTIFACTS, `history-${size.name}-verified.png`), fullPage: true });

      // Delete from the row: the dialog asks about this one backup, then its archive is gone from the disk.
      const drop = rowNamed(page, `${size.name} drop`);
      const file = (await drop.getByRole('link', { name: /^Download / }).getAttribute('download'))!;
      expect(existsSync(path.join(backupDir, file))).toBe(true);
      await drop.getByRole('button', { name: /^Delete Database backup / }).click();
      const dialog = page.getByRole('dialog');
      await expect.poll(() => dialog.getByText(new RegExp(`^Delete 1 backup\\? .*“${size.name} drop”`)).isVisible()).toBe(true);
      await checkPage(page, 'the delete dialog');
      await dialog.getByRole('button', { name: 'Delete' }).click();
      await expect.poll(() => drop.count()).toBe(0);
      expect(existsSync(path.join(backupDir, file))).toBe(false);
      expect(await rowNamed(page, `${size.name} keep`).count()).toBe(1);
      await page.close();
    });

    it(`narrows the job history and opens a job's log at ${size.width}×${size.height}`, async () => {
      const page = await browser.newPage({ viewport: { width: size.width, height: size.height } });
      await openSignedIn(page, base, 'ada', PASSWORD);
      await page.getByRole('button', { name: 'Job history', exact: true }).click();
      const items = page.locator('#history-list > li');
      await expect.poll(() => items.count()).toBeGreaterThanOrEqual(5);
      await checkPage(page, 'the job history');

      await page.getByLabel('Kind').selectOption('verify');
      await expect.poll(() => items.first().innerText()).toMatch(/^Verified\s+Verify of .* Database backup “\w+ keep”/);
      expect(await items.allInnerTexts()).toEqual(expect.arrayContaining([expect.stringMatching(/from this page/)]));
      await page.getByLabel('Kind').selectOption('');
      await page.getByLabel('Started').selectOption('cli');
      await expect.poll(() => items.count()).toBe(4);
      expect((await items.allInnerTexts()).every((text) => /^Done\s+Database backup “(phone|laptop) (keep|drop)”[\s\S]*from the command line/.test(text))).toBe(true);
      await page.getByLabel('Outcome').selectOption('failed');
      await expect.poll(() => page.getByText('No job matches the filter.').isVisible()).toBe(true);
      await page.getByLabel('Outcome').selectOption('');

      // Who started it: the command line's OS user, "-" for the job that kept nobody, the page's user.
      const me = `cli:${userInfo().username}`;
      await page.getByLabel('User', { exact: true }).selectOption(me);
      await expect.poll(() => items.count()).toBe(3);
      expect((await items.allInnerTexts()).every((text) => text.includes(`from the command line · user ${me}`))).toBe(true);
      await page.getByLabel('User', { exact: true }).selectOption('-');
      await expect.poll(() => items.count()).toBe(1);
      expect(await items.first().innerText()).toMatch(/^Done\s+Database backup “phone keep”[\s\S]* · from the command line · user -\s+Log\b/);
      await checkPage(page, 'the job history narrowed by user');
      await page.getByLabel('Started').selectOption('');
      await page.getByLabel('User', { exact: true }).selectOption('ada');
      const byAda = async () => (await items.allInnerTexts()).map((text) => /^Verified\s+Verify of [\s\S]* · from this page · user ada/.test(text));
      await expect.poll(async () => (await byAda()).length > 0 && (await byAda()).every(Boolean)).toBe(true);
      expect(await page.getByLabel('User', { exact: true }).locator('option').allTextContents()).toEqual(['Any user', '- (not recorded)', 'ada', me]);
      await page.getByLabel('User', { exact: true }).selectOption('');

      // The newest job (a verify from this page) opens to the lines the server kept while it ran.
      await page.getByLabel('Kind').selectOption('verify');
      await expect.poll(() => items.first().innerText()).toMatch(/^Verified/);
      await items.first().locator('summary', { hasText: /^Log of Verify of / }).click();
      const log = items.first().locator('pre.job-log');
      await expect.poll(() => log.textContent()).toMatch(/started: verify \d+_db_\w+_keep\.sql\.\w+[\s\S]*checked: [\s\S]*succeeded/);
      await checkPage(page, 'a job log');
      await page.screenshot({ path: path.join(ARTIFACTS, `history-${size.name}-log.png`), fullPage: true });
      await page.close();
    });

    it(`says a refusal of the Users and roles view beside its field at ${size.width}×${size.height}`, async () => {
      const page = await browser.newPage({ viewport: { width: size.width, height: size.height } });
      await openSignedIn(page, base, 'ada', PASSWORD);
      await page.getByRole('button', { name: 'Users and roles', exact: true }).click();
      const userForm = page.getByRole('form', { name: 'Add a user' });
      await userForm.getByLabel('Username').fill('ada');
      await userForm.getByLabel('Password (at least 8 characters)').fill('a long enough password');
      await userForm.getByRole('button', { name: 'Add user' }).click();
      await expect.poll(() => page.locator('#user-name-error').textContent()).toBe('User "ada" exists already.');
      expect(await page.locator('#user-name').getAttribute('aria-invalid')).toBe('true');
      expect(await page.locator('#user-error').textContent()).toBe('');

      const roleForm = page.getByRole('form', { name: 'Add a role' });
      await roleForm.getByLabel('Role name').fill('admin');
      await roleForm.getByRole('button', { name: 'Save role' }).click();
      await expect.poll(() => page.locator('#role-name-error').textContent()).toBe('The built-in role "admin" cannot be changed.');
      await checkPage(page, 'Users and roles with errors');
      // Every user's and role's actions are on screen, none hidden in a table scrolled sideways.
      for (const action of await page.locator('#user-table .row-actions button, #role-table .row-actions button').all()) {
        const box = (await action.boundingBox())!;
        expect(box.x + box.width, (await action.textContent())!).toBeLessThanOrEqual(size.width);
        await action.click({ trial: true });
      }
      // Typing in the field takes its error away.
      await page.locator('#user-name').fill('grace');
      expect(await page.locator('#user-name-error').count()).toBe(0);
      await page.screenshot({ path: path.join(ARTIFACTS, `history-${size.name}-user-errors.png`), fullPage: true });
      await page.close();
    });
  }
});
