// The admin page on a phone (390×844) and a laptop (1280×800) in Debian's Chromium: no page scrolls
// sideways, every action of a backup row is on screen and clickable, each row action has its own
// accessible name, axe-core finds nothing serious or critical, and nothing the page loads answers 404
// (the favicon). Screenshots of every page at both sizes go to test-results/.
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AFTER_PASSWORD_CHECK, ARTIFACTS, openSignedIn, signInOnPage } from '../helpers/browser.js';
import { runCli } from '../helpers/cli.js';
import { startPageBed, type PageBed } from '../helpers/page-bed.js';
import { axeFindings, axeSource as readAxeSource, sidewaysScroll, widest } from '../helpers/page-checks.js';
import type { RunningServer } from '../helpers/server.js';

const PASSWORD = 'layout test password';
const SIZES = [
  { name: 'phone', width: 390, height: 844 },
  { name: 'laptop', width: 1280, height: 800 },
];
const VIEWS = [
  { tab: 'Backups', heading: 'Backups' },
  { tab: 'Job history', heading: 'Job history' },
  { tab: 'Audit log', heading: 'Audit log' },
  { tab: 'Users and roles', heading: 'Users and roles' },
  { tab: 'Settings', heading: 'Settings' },
];

const signInAs = (page: Page, base: string, username: string) => openSignedIn(page, base, username, PASSWORD);

describe('the admin page on a phone and a laptop', () => {
  let server: RunningServer;
  let browser: Browser;
  let axeSource: string;

  let bed: PageBed;

  beforeAll(async () => {
    axeSource = await readAxeSource();
    bed = await startPageBed(PASSWORD, { roles: { operator: 'backup' }, users: { ada: 'admin', olga: 'operator' } }, async (env) => {
      for (const args of [['backup', 'db', '--name', 'before the upgrade'], ['backup', 'system', '--name', 'full snapshot']]) expect((await runCli(args, env)).code).toBe(0);
    });
    ({ server, browser } = bed);
  }, 120_000);

  afterAll(async () => {
    expect(await bed?.stop()).toBe(0);
  });

  for (const size of SIZES) {
    it(`shows every page at ${size.width}×${size.height} without sideways scroll, 404s or serious axe findings`, async () => {
      const page = await browser.newPage({ viewport: { width: size.width, height: size.height } });
      const missing: string[] = [];
      page.on('response', (response) => response.status() === 404 && missing.push(response.url()));
      await page.goto(`${server.base}/`);
      await expect.poll(() => page.getByRole('form', { name: 'Sign in' }).isVisible()).toBe(true);
      expect(await sidewaysScroll(page)).toBeLessThanOrEqual(0);
      expect(await axeFindings(page, axeSource)).toEqual([]);
      await page.screenshot({ path: path.join(ARTIFACTS, `layout-${size.name}-signin.png`), fullPage: true });
      await signInOnPage(page, 'ada', PASSWORD);
      await expect.poll(() => page.getByRole('heading', { name: 'Backups' }).isVisible(), AFTER_PASSWORD_CHECK).toBe(true);
      await expect.poll(() => page.locator('#grid tbody tr[data-id]').count()).toBe(2);

      // The top bar: one line on a laptop; on a phone the sections wrap below the brand. Every item of it
      // is inside the screen and shown whole, none behind an edge or in a row that scrolls sideways.
      const bar = await page.locator('header.topbar').boundingBox();
      expect(bar!.height).toBeLessThanOrEqual(size.width < 600 ? 130 : 60);
      const items = await page.locator('header.topbar').evaluate((header) =>
        [...header.querySelectorAll<HTMLElement>('.brand, .tab, #whoami, #signout')]
          .filter((item) => item.offsetParent !== null)
          .map((item) => ({ text: item.textContent!.trim(), left: item.getBoundingClientRect().left, right: item.getBoundingClientRect().right, cut: item.scrollWidth > item.clientWidth })),
      );
      expect(items.map((item) => item.text)).toEqual(['Lifeboat', 'Backups', 'Job history', 'Audit log', 'Users and roles', 'Settings', expect.stringContaining('ada'), 'Sign out']);
      for (const item of items) {
        expect(item.left, item.text).toBeGreaterThanOrEqual(0);
        expect(item.right, item.text).toBeLessThanOrEqual(size.width);
        expect(item.cut, item.text).toBe(false);
      }
      expect(await page.locator('#nav').evaluate((nav) => nav.scrollWidth - nav.clientWidth)).toBeLessThanOrEqual(0);

      for (const view of VIEWS) {
        await page.getByRole('button', { name: view.tab, exact: true }).click();
        await expect.poll(() => page.getByRole('heading', { name: view.heading, level: 1 }).isVisible()).toBe(true);
        await page.waitForLoadState('networkidle');
        if (view.tab === 'Settings') await expect.poll(() => page.locator('#schedule-next').textContent()).not.toBe('Loading…');
        await page.screenshot({ path: path.join(ARTIFACTS, `layout-${size.name}-${view.tab.split(' ')[0].toLowerCase()}.png`), fullPage: true });
        expect(await sidewaysScroll(page), `${view.tab}: ${await widest(page)}`).toBeLessThanOrEqual(0);
        expect(await axeFindings(page, axeSource), view.tab).toEqual([]);
      }
      expect(missing).toEqual([]);
      await page.close();
    });

    it(`reaches every action of every backup row at ${size.width}×${size.height}`, async () => {
      const page = await browser.newPage({ viewport: { width: size.width, height: size.height } });
      await signInAs(page, server.base, 'ada');
      const rows = page.locator('#grid tbody tr[data-id]');
      await expect.poll(() => rows.count()).toBe(2);
      const names = new Set<string>();
      for (let i = 0; i < 2; i++) {
        const row = rows.nth(i);
        const actions = [
          row.getByRole('checkbox'),
          row.getByRole('link', { name: /^Download / }),
          row.getByRole('button', { name: /^Rollback to / }),
          row.getByRole('button', { name: /^Verify / }),
          row.getByRole('button', { name: /^Delete / }),
        ];
        for (const action of actions) {
          await action.scrollIntoViewIfNeeded({ timeout: 5000 });
          expect(await action.isVisible()).toBe(true);
          const box = await action.boundingBox();
          expect(box!.x).toBeGreaterThanOrEqual(0);
          expect(box!.x + box!.width).toBeLessThanOrEqual(size.width);
          await action.click({ trial: true, timeout: 5000 }); // nothing covers it
          const name = await action.getAttribute('aria-label');
          expect(name).toBeTruthy();
          names.add(name!);
        }
      }
      expect(names.size).toBe(10);

      // A ticked row's Delete stays in reach (on a phone it floats at the bottom of the screen) and asks first.
      await rows.last().getByRole('checkbox').check();
      const deleteButton = page.getByRole('button', { name: 'Delete (1)' });
      const box = await deleteButton.boundingBox();
      expect(box!.y + box!.height).toBeLessThanOrEqual(size.height);
      expect(box!.x + box!.width).toBeLessThanOrEqual(size.width);
      await deleteButton.click();
      await expect.poll(() => page.getByRole('dialog').getByText(/^Delete 1 backup\?/).isVisible()).toBe(true);
      await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
      await rows.last().getByRole('checkbox').uncheck();
      expect(await page.getByRole('link', { name: /^Download System backup “full snapshot” of / }).count()).toBe(1);
      // The row's Rollback opens its dialog on a phone too; a wrong password is said beside its field.
      await rows.first().getByRole('button', { name: /^Rollback to / }).click();
      const dialog = page.getByRole('dialog');
      await expect.poll(() => dialog.isVisible()).toBe(true);
      await dialog.getByLabel('Your password').fill('not the password');
      await dialog.getByRole('button', { name: 'Roll back' }).click();
      await expect.poll(() => page.locator('#rollback-password-error').textContent(), AFTER_PASSWORD_CHECK).toBe('Wrong password.');
      expect(await sidewaysScroll(page)).toBeLessThanOrEqual(0);
      expect(await axeFindings(page, axeSource)).toEqual([]);
      await page.screenshot({ path: path.join(ARTIFACTS, `layout-${size.name}-rollback-dialog.png`) });
      await dialog.getByRole('button', { name: 'Cancel' }).click();

      // The create dialog with its name rule and preview.
      await page.getByRole('button', { name: 'System Backup', exact: true }).click();
      await dialog.getByLabel('Name (optional)').fill('v2.4.7 upgrade! café');
      expect(await axeFindings(page, axeSource)).toEqual([]);
      await page.screenshot({ path: path.join(ARTIFACTS, `layout-${size.name}-create-dialog.png`) });
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await page.close();
    });
  }

  it('shows no "null" in the grid of a role without rollback', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await signInAs(page, server.base, 'olga');
    await expect.poll(() => page.locator('#grid tbody tr[data-id]').count()).toBe(2);
    expect(await page.locator('#grid thead').innerText()).not.toContain('null');
    expect(await page.locator('#grid').innerText()).not.toMatch(/\bnull\b/);
    await page.close();
  });
});
