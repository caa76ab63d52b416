// What a page test stands on: a demo shop of its own with the given accounts, the real `lifeboat serve`
// on it, and Debian's Chromium.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { ensureDemoShop } from '../../src/demo/shop.js';
import { launchChromium } from './browser.js';
import { addAccounts, startServer, type RunningServer } from './server.js';

export interface PageBed {
  env: Record<string, string>;
  server: RunningServer;
  browser: Browser;
  /** Closes the browser; resolves with the server's exit code. */
  stop: () => Promise<number | null>;
}

/** `prepare` runs once the accounts exist and before the server starts (backups to find on the page). */
export async function startPageBed(
  password: string,
  accounts: Parameters<typeof addAccounts>[2],
  prepare: (env: Record<string, string>) => Promise<void> = async () => undefined,
): Promise<PageBed> {
  const shop = await ensureDemoShop(path.join(await mkdtemp(path.join(tmpdir(), 'lifeboat-page-')), 'shop'));
  const env = { LIFEBOAT_ROOT: shop.root, LIFEBOAT_DATABASE_URL: shop.databaseUrl };
  await addAccounts(env, password, accounts);
  await prepare(env);
  const server = await startServer(env);
  const browser = await launchChromium();
  return {
    env,
    server,
    browser,
    stop: async () => {
      await browser.close();
      return server.stop();
    },
  };
}
