// Browsing inside a backup on the page, on a phone (390×844) and a laptop (1280×800) in Debian's
// Chromium: a database backup's tables with their rows, a file backup's folders; Restore on one table
// and on one file puts back the real rows and bytes (the rest of the shop as it is), through the password
// check and a job like any rollback; no sideways scroll and no serious axe-core finding in the view.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AFTER_PASSWORD_CHECK, ARTIFACTS, openSignedIn } from '../helpers/browser.js';
import { runCli } from '../helpers/cli.js';
import { axeFindings, axeSource as readAxeSource, sidewaysScroll } from '../helpers/page-checks.js';
import { startPageBed, type PageBed } from '../helpers/page-bed.js';
import { valueInFile } from '../helpers/sqlite.js';

const PASSWORD = 'browse test password';
const SIZES = [
  { name: 'phone', width: 390, height: 844 },
  { name: 'laptop', width: 1280, height: 800 },
];
const ENV_PHP = 'app/etc/env.php';

describe('browsing inside a backup, and restoring one table or one file from there', () => {
  let bed: PageBed;
  let axeSource: string;
  let root: string;
  let dbFile: string;
  let originalEnv: string;

  const changedCustomers = () => Number(valueInFile(dbFile, "SELECT COUNT(*) FROM customer_entity WHERE lastname = 'changed'"));
  const storeName = () => valueInFile(dbFile, 'SELECT name FROM store WHERE store_id = 1');

  beforeAll(async () => {
    axeSource = await readAxeSource();
    bed = await startPageBed(PASSWORD, { users: { ada: 'admin' } }, async (env) => {
      for (const args of [['backup', 'db', '--name', 'tables'], ['backup', 'system', '--name', 'files']]) expect((await runCli(args, env)).code).toBe(0);
    });
    root = bed.env.LIFEBOAT_ROOT;
    dbFile = path.join(root, 'var', 'shop.db');
    originalEnv = await readFile(path.join(root, ENV_PHP), 'utf8');
  }, 120_000);

  afterAll(async () => {
    expect(await bed?.stop()).toBe(0);
  });

  /** Checks the open view: nothing scrolls sideways, axe finds nothing serious; a screenshot for people. */
  async function checkView(page: Page, name: string): Promise<void> {
    expect(await sidewaysScroll(page), name).toBeLessThanOrEqual(0);
    expect(await axeFindings(page, axeSource), name).toEqual([]);
    await page.screenshot({ path: path.join(ARTIFACTS, `browse-${name}.png`) });
  }

  /** The rollback dialog opened by a Restore: the password, then Restore; the dialogs close once the job runs. */
  async function confirmRestore(page: Page, what: RegExp): Promise<void> {
    const dialog = page.locator('#rollback-dialog');
    await expect.poll(() => dialog.isVisible()).toBe(true);
    expect(await dialog.textContent()).toMatch(what);
    expect(await dialog.getByLabel(/First take a backup/).isChecked()).toBe(false);
    await dialog.getByLabel('Your password').fill(PASSWORD);
    await dialog.getByRole('button', { name: 'Restore' }).click();
    await expect.poll(() => dialog.isVisible(), AFTER_PASSWORD_CHECK).toBe(false);
    expect(await page.locator('#browse-dialog').isVisible()).toBe(false);
  }

  for (const size of SIZES) {
    it(`restores one table and one file at ${size.width}×${size.height}`, async () => {
      const changed = new DatabaseSync(dbFile);
      changed.exec("UPDATE customer_entity SET lastname = 'changed' WHERE entity_id > 40; UPDATE store SET name = 'changed' WHERE store_id = 1");
      changed.close();
      expect(changedCustomers()).toBe(60);
      await writeFile(path.join(root, ENV_PHP), `changed at ${size.name}\n`);
      await writeFile(path.join(root, 'composer.json'), `changed at ${size.name}\n`);

      const page = await bed.browser.newPage({ viewport: { width: size.width, height: size.height } });
      await openSignedIn(page, bed.server.base, 'ada', PASSWORD);
      const rows = page.locator('#grid tbody tr[data-id]');
      await expect.poll(() => rows.count()).toBe(2);

      // The database backup's tables, with the rows they had.
      await rows.filter({ hasText: 'tables' }).getByRole('button', { name: /^Browse / }).click();
      const view = page.locator('#browse-dialog');
      const customerRow = view.locator('tr[data-table="customer_entity"]');
      await expect.poll(() => customerRow.count()).toBe(1);
      expect(await customerRow.textContent()).toContain('100');
      await checkView(page, `${size.name}-tables`);
      await customerRow.getByRole('button', { name: 'Restore table customer_entity' }).click();
      await confirmRestore(page, /table customer_entity/);
      await expect.poll(changedCustomers, { timeout: 60_000 }).toBe(0);
      expect(storeName()).toBe('changed'); // the other tables as they were

      // The file backup's folders, down to one file.
      await rows.filter({ hasText: 'files' }).getByRole('button', { name: /^Browse / }).click();
      await view.getByRole('button', { name: 'Open folder app' }).click();
      await view.getByRole('button', { name: 'Open folder etc' }).click();
      const envRow = view.locator(`tr[data-path="${ENV_PHP}"]`);
      await expect.poll(() => envRow.count()).toBe(1);
      expect(await view.getByRole('navigation', { name: 'Folder in the backup' }).textContent()).toMatch(/Shop root.*app.*etc/);
      await checkView(page, `${size.name}-files`);
      await envRow.getByRole('button', { name: `Restore ${ENV_PHP}` }).click();
      await confirmRestore(page, /app\/etc\/env\.php in the shop/);
      await expect.poll(() => readFile(path.join(root, ENV_PHP), 'utf8'), { timeout: 60_000 }).toBe(originalEnv);
      expect(await readFile(path.join(root, 'composer.json'), 'utf8')).toBe(`changed at ${size.name}\n`);

      // Both restores ran as jobs, named by what they restored.
      await expect.poll(() => page.locator('tr.job-row').filter({ hasText: `paths ${ENV_PHP}` }).count(), { timeout: 30_000 }).toBeGreaterThan(0);
      await page.close();
    });
  }
});
