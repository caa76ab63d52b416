// A stripped backup on the admin page in Chromium: the grid says so, and its rollback dialog asks a second
// question (a box to tick) before the live shop loses the stripped tables' rows; without the tick nothing
// is sent, with it the rollback runs and the table is empty.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDemoShop, type DemoShop } from '../../src/demo/shop.js';
import { ARTIFACTS, launchChromium, openSignedIn } from '../helpers/browser.js';
import { runCli } from '../helpers/cli.js';
import { addAccounts, startServer, type RunningServer } from '../helpers/server.js';

const PASSWORD = 'stripped page password';

function customers(shop: DemoShop): number {
  const db = new DatabaseSync(shop.databaseFile, { readOnly: true });
  try {
    return Number((db.prepare('SELECT COUNT(*) AS n FROM customer_entity').get() as { n: number }).n);
  } finally {
    db.close();
  }
}

describe('a stripped backup on the admin page', () => {
  let server: RunningServer;
  let browser: Browser;
  let shop: DemoShop;

  beforeAll(async () => {
    shop = await ensureDemoShop(path.join(await mkdtemp(path.join(tmpdir(), 'lifeboat-page-stripped-')), 'shop'));
    const env = { LIFEBOAT_ROOT: shop.root, LIFEBOAT_DATABASE_URL: shop.databaseUrl };
    await addAccounts(env, PASSWORD, { users: { ada: 'admin' } });
    const taken = await runCli(['backup', 'db', '--name', 'for staging', '--strip', '@customers'], env);
    expect(taken.code, taken.stderr).toBe(0);
    server = await startServer(env);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    expect(await server?.stop()).toBe(0);
  });

  it('marks it in the grid and rolls back to it only after the second question', async () => {
    expect(customers(shop)).toBeGreaterThan(0);
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await openSignedIn(page, server.base, 'ada', PASSWORD);
    const row = page.locator('#grid tbody tr[data-id]').filter({ hasText: 'for staging' });
    await expect.poll(() => row.count()).toBe(1);
    expect(await row.locator('.c-type').innerText()).toBe('Database (stripped)');

    await row.getByRole('button', { name: /Rollback/ }).click();
    const dialog = page.getByRole('dialog');
    await expect.poll(() => dialog.isVisible()).toBe(true);
    expect(await dialog.innerText()).toMatch(/This backup is stripped: rolling back to it empties 1 table of the live shop \(customer_entity\)/);
    await dialog.getByLabel('Your password').fill(PASSWORD);
    await page.screenshot({ path: path.join(ARTIFACTS, 'admin-rollback-stripped.png') });
    await dialog.getByRole('button', { name: 'Roll back' }).click();
    // Not ticked: the form is not sent.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await dialog.isVisible()).toBe(true);
    expect(customers(shop)).toBeGreaterThan(0);

    await dialog.getByLabel('I understand, and roll the live shop back to it anyway').check();
    await dialog.getByRole('button', { name: 'Roll back' }).click();
    await expect.poll(() => customers(shop), { timeout: 30_000 }).toBe(0);
    await page.close();
  }, 120_000);
});
