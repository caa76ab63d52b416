// The Backups page follows jobs it did not start, in Debian's Chromium (playwright-core): with the page
// open, `lifeboat backup db` from the command line against the same shop shows as a live job row within
// a few seconds, and its backup then appears in the grid, without a reload. The shop is made slow with a
// big table so that the running job can be seen. Screenshots go to test-results/.
import { DatabaseSync as Database } from 'node:sqlite';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDemoShop } from '../../src/demo/shop.js';
import { AFTER_PASSWORD_CHECK, ARTIFACTS, launchChromium, signInOnPage } from '../helpers/browser.js';
import { startCli } from '../helpers/cli.js';
import { addAccounts, startServer, type RunningServer } from '../helpers/server.js';

const PASSWORD = 'live page password';

describe('the Backups page shows jobs started elsewhere', () => {
  let server: RunningServer;
  let browser: Browser;
  let env: Record<string, string>;

  beforeAll(async () => {
    const shop = await ensureDemoShop(path.join(await mkdtemp(path.join(tmpdir(), 'lifeboat-live-')), 'shop'));
    const db = new Database(shop.databaseFile);
    // The page asks for jobs every 3 s: the console's backup must run longer than that to be seen
    // running (600,000 rows took about 2-3 s, and one run of the full suite missed it).
    db.exec(`CREATE TABLE big (id INTEGER PRIMARY KEY, v TEXT);
      WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1500000) INSERT INTO big SELECT i, hex(randomblob(100)) FROM n;`);
    db.close();
    env = { LIFEBOAT_ROOT: shop.root, LIFEBOAT_DATABASE_URL: shop.databaseUrl };
    await addAccounts(env, PASSWORD, { users: { ada: 'admin' } });
    server = await startServer(env);
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    expect(await server?.stop()).toBe(0);
  });

  it('shows a backup taken on the console as a live row, then its backup, without a reload', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${server.base}/`);
    await signInOnPage(page, 'ada', PASSWORD);
    await expect.poll(() => page.getByRole('heading', { name: 'Backups' }).isVisible(), AFTER_PASSWORD_CHECK).toBe(true);
    await expect.poll(() => page.locator('#grid tbody').innerText()).toMatch(/No backups/i);
    // Gone if the page reloaded.
    await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));

    const cli = startCli(['backup', 'db', '--name', 'from console'], env);
    const exited = new Promise<number | null>((resolve) => cli.on('close', resolve));
    const jobRow = page.locator('tr.job-row').filter({ hasText: 'Database backup “from console”' });
    await expect.poll(() => jobRow.count(), { timeout: 8_000 }).toBe(1);
    await expect.poll(() => jobRow.locator('.job-progress').textContent(), { timeout: 10_000 }).toMatch(/\d+(\.\d+)? (B|KiB|MiB)/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'admin-live-cli-job.png') });

    expect(await exited).toBe(0);
    const backupRow = page.locator('#grid tbody tr:not(.job-row)').filter({ hasText: 'from console' });
    await expect.poll(() => backupRow.count(), { timeout: 8_000 }).toBe(1);
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    await page.screenshot({ path: path.join(ARTIFACTS, 'admin-live-cli-backup.png') });
    await page.close();
  }, 120_000);
});
