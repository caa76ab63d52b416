// The Backups view's summary ("at a glance") in Chromium, on the demo shop with backups, a schedule and a
// restore drill: each tile says its state in words, the chart is named for screen readers, and the page
// stays within a phone's width.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDemoShop } from '../../src/demo/shop.js';
import { ARTIFACTS, launchChromium, openSignedIn } from '../helpers/browser.js';
import { runCli } from '../helpers/cli.js';
import { addAccounts, startServer, type RunningServer } from '../helpers/server.js';

const PASSWORD = 'glance page password';

describe('the Backups view at a glance', () => {
  let server: RunningServer;
  let browser: Browser;

  beforeAll(async () => {
    const shop = await ensureDemoShop(path.join(await mkdtemp(path.join(tmpdir(), 'lifeboat-page-glance-')), 'shop'));
    const env = { LIFEBOAT_ROOT: shop.root, LIFEBOAT_DATABASE_URL: shop.databaseUrl };
    await addAccounts(env, PASSWORD, { users: { ada: 'admin' } });
    for (const args of [['backup', 'db'], ['backup', 'db', '--name', 'second'], ['schedule', 'set', '--type', 'db', '--frequency', 'daily', '--time', '02:00', '--drill'], ['drill']]) {
      const result = await runCli(args, env);
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(0);
    }
    server = await startServer(env);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    expect(await server?.stop()).toBe(0);
  });

  for (const [width, height] of [[1280, 800], [390, 844]]) {
    it(`says how the backups stand in words at ${width}×${height}`, async () => {
      const page = await browser.newPage({ viewport: { width, height } });
      await openSignedIn(page, server.base, 'ada', PASSWORD);
      const glance = page.getByRole('region', { name: 'At a glance' });
      await expect.poll(() => glance.isVisible()).toBe(true);
      const tile = (name: string) => glance.getByRole('group', { name }).innerText();
      expect(await tile('Last good backup')).toMatch(/On time: just now[\s\S]*Database backup “second” of/);
      expect(await tile('Next scheduled run')).toMatch(/\d{1,2} \w{3}( \d{4})? 02:00[\s\S]*daily, then a restore drill/);
      expect(await tile('Space')).toMatch(/KiB in 2 backups[\s\S]*free on their disk/);
      expect(await tile('Off-site copy')).toMatch(/Not set up/);
      expect(await tile('Last restore drill')).toMatch(/Passed[\s\S]*tables, \d+ rows restored as recorded/);
      expect(await glance.getByRole('img').getAttribute('aria-label')).toMatch(/^Sizes of the last 2 backups, from .* to .*$/);
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
      await page.screenshot({ path: path.join(ARTIFACTS, `admin-glance-${width}.png`), fullPage: true });
      await page.close();
    }, 60_000);
  }
});
