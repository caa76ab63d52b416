// `node scripts/screenshots.ts [--all] [--out DIR]` (`npm run screenshots` builds first): the README's
// pictures of the web admin, taken anew. It runs the compiled `lifeboat` of dist/, and builds nothing. A demo
// shop of its own in a temporary folder gets an admin, a few backups, a verify, a failed job and a
// schedule; `lifeboat serve` runs on it, and Chromium (/usr/bin/chromium, or LIFEBOAT_SCREENSHOT_CHROMIUM)
// takes each picture at 1280×800 and 390×844 while a database backup runs in the grid. Without --all only
// the pictures the README shows are written (into docs/screenshots/); --all writes every one, for a
// person to look over (into test-results/screenshots/ unless --out says otherwise).
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from 'playwright-core';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin', 'lifeboat.js');
const CHROMIUM = process.env.LIFEBOAT_SCREENSHOT_CHROMIUM ?? '/usr/bin/chromium';
const USER = 'ada';
const PASSWORD = 'screenshots only password';
const LAPTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
/** The pictures the README shows; --all takes the others too. */
const README_SHOTS = new Set(['backups-laptop', 'backups-phone', 'history-laptop', 'rollback-laptop']);

type Env = Record<string, string>;

/** Runs `lifeboat ARGS`; its output when it exits 0, else a thrown error with what it said. */
function lifeboat(args: string[], env: Env, input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env } });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stdin.end(input ?? '');
    child.on('close', (code) => (code === 0 ? resolve(output) : reject(new Error(`lifeboat ${args.join(' ')} exited ${code}: ${output}`))));
  });
}

/** The demo shop with what the pictures show: named backups of each kind, a verify, a failed job, a schedule. */
async function prepareShop(dir: string): Promise<Env> {
  const demo = await lifeboat(['demo', '--dir', path.join(dir, 'shop')], {});
  const exported = /export LIFEBOAT_ROOT=(\S+) LIFEBOAT_DATABASE_URL=(\S+)/.exec(demo);
  if (!exported) throw new Error(`lifeboat demo did not say where its shop is: ${demo}`);
  const env = { LIFEBOAT_ROOT: exported[1], LIFEBOAT_DATABASE_URL: exported[2] };
  await lifeboat(['user', 'add', USER, '--role', 'admin', '--password-stdin'], env, `${PASSWORD}\n`);
  await lifeboat(['backup', 'system', '--name', 'full snapshot'], env);
  await lifeboat(['backup', 'db', '--name', 'before upgrade'], env);
  await lifeboat(['backup', 'media', '--name', 'after price import'], env);
  const [newest] = JSON.parse(await lifeboat(['list', '--json'], env)) as { id: string }[];
  await lifeboat(['verify', newest.id], env);
  await lifeboat(['backup', 'db'], { ...env, LIFEBOAT_DATABASE_URL: 'sqlite:///var/lib/missing/shop.db' }).catch(() => undefined);
  await lifeboat(['schedule', 'set', '--type', 'db', '--frequency', 'daily', '--time', '02:30', '--timezone', 'Europe/Amsterdam', '--keep-last', '7'], env);
  return env;
}

/** Orders enough to keep a database backup running while the pictures of it are taken. */
function growOrders(databaseUrl: string): void {
  const db = new DatabaseSync(databaseUrl.replace(/^sqlite:\/\//, ''));
  db.exec(`CREATE TABLE sales_order_archive (id INTEGER PRIMARY KEY, note TEXT);
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 400000)
    INSERT INTO sales_order_archive SELECT i, printf('%0200d', i) FROM n;`);
  db.close();
}

/** `lifeboat serve` on the shop: its address, and a way to stop it. */
async function serve(env: Env): Promise<{ base: string; stop: () => void }> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--no-scheduler'], { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env } });
  let output = '';
  const base = await new Promise<string>((resolve, reject) => {
    const listen = (chunk: Buffer) => {
      output += chunk.toString();
      const url = /listening on (http:\/\/\S+)/.exec(output)?.[1];
      if (url) resolve(url);
    };
    child.stdout.on('data', listen);
    child.stderr.on('data', listen);
    child.on('close', () => reject(new Error(`lifeboat serve stopped: ${output}`)));
  });
  return { base, stop: () => child.kill('SIGTERM') };
}

/** Takes the pictures: each named `<what>-<laptop|phone>.png`, written when `wanted` says so. */
async function takePictures(page: Page, base: string, save: (name: string) => Promise<void>): Promise<void> {
  const atBoth = async (what: string, before?: (size: 'laptop' | 'phone') => Promise<void>) => {
    for (const [size, viewport] of [['laptop', LAPTOP], ['phone', PHONE]] as const) {
      await page.setViewportSize(viewport);
      await before?.(size);
      await save(`${what}-${size}`);
    }
  };
  await page.goto(`${base}/`);
  await page.getByLabel('Username').first().fill(USER);
  await page.getByLabel('Password').first().fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Backups' }).waitFor();
  await page.locator('#grid tbody tr[data-id]').first().waitFor();

  // A database backup started here, shown as the grid's top row with its progress.
  await page.getByRole('button', { name: 'Database Backup', exact: true }).click();
  await page.getByRole('dialog').getByLabel('Name (optional)').fill('nightly export');
  await page.getByRole('dialog').getByRole('button', { name: 'OK' }).click();
  const running = page.locator('#grid tr.job-row.running');
  await running.waitFor({ timeout: 30_000 });
  // Its bytes and rate: the first progress the server wrote.
  await page.waitForFunction(() => /\/s/.test(document.querySelector('#grid tr.job-row.running')?.textContent ?? ''), undefined, { timeout: 30_000 });
  // On a phone the tiles at a glance fill the first screen: the picture starts at the grid's filters.
  await atBoth('backups', async (size) => {
    await page.mouse.move(0, 0);
    if (size === 'phone') await page.locator('#view-backups .toolbar').evaluate((toolbar) => toolbar.scrollIntoView({ block: 'start' }));
  });
  await page.setViewportSize(LAPTOP);
  await running.getByRole('button', { name: /^Cancel/ }).click();
  await page.locator('#grid tr.job-row.cancelled').waitFor({ timeout: 60_000 });

  const row = (name: string) => page.locator('#grid tbody tr[data-id]').filter({ hasText: name });
  await atBoth('browse', async () => {
    await page.keyboard.press('Escape');
    await row('full snapshot').getByRole('button', { name: /^Browse / }).click();
    await page.locator('#browse-dialog').getByRole('button', { name: 'Open folder app' }).waitFor();
  });
  await page.keyboard.press('Escape');
  await atBoth('rollback', async () => {
    await page.keyboard.press('Escape');
    await row('before upgrade').getByRole('button', { name: /^Rollback / }).click();
    await page.locator('#rollback-dialog').waitFor();
  });
  await page.keyboard.press('Escape');

  await page.getByRole('button', { name: 'Job history', exact: true }).click();
  await page.locator('#history-list > li').first().waitFor();
  await atBoth('history');
  await page.getByRole('button', { name: 'Settings', exact: true }).click();
  await page.waitForFunction(() => document.querySelector('#schedule-next')?.textContent !== 'Loading…');
  await atBoth('settings');
}

async function main(): Promise<void> {
  const all = process.argv.includes('--all');
  const outFlag = process.argv.indexOf('--out');
  const out = outFlag > 0 ? path.resolve(process.argv[outFlag + 1]) : path.join(ROOT, all ? 'test-results/screenshots' : 'docs/screenshots');
  mkdirSync(out, { recursive: true });
  const work = mkdtempSync(path.join(tmpdir(), 'lifeboat-screenshots-'));
  const env = await prepareShop(work);
  growOrders(env.LIFEBOAT_DATABASE_URL);
  const server = await serve(env);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  try {
    const page = await browser.newPage({ viewport: LAPTOP });
    await takePictures(page, server.base, async (name) => {
      if (!all && !README_SHOTS.has(name)) return;
      await page.screenshot({ path: path.join(out, `${name}.png`) });
      console.log(path.join(out, `${name}.png`));
    });
  } finally {
    await browser.close();
    server.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
