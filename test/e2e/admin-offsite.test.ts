// The admin page with off-site storage, in Debian's Chromium against the demo shop and a real S3 server
// (s3rver): each row says where the backup is (local + S3, S3), and the Download link of a backup that
// is only in the bucket saves the exact archive. Fails (never skips) without Chromium.
import { createHash } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/settings.js';
import { deleteBackup } from '../../src/repository/delete.js';
import { takeBackup } from '../../src/core/operations.js';
import { ensureDemoShop } from '../../src/demo/shop.js';
import { ARTIFACTS, launchChromium, signInOnPage } from '../helpers/browser.js';
import { S3RVER_CREDENTIALS, startS3, type TestS3 } from '../helpers/s3.js';
import { runCliWithStdin, startServer, type RunningServer } from '../helpers/server.js';

const PASSWORD = 'page test password';
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('the admin page with off-site storage', () => {
  let s3: TestS3;
  let server: RunningServer;
  let browser: Browser;
  let remoteSha256 = '';

  beforeAll(async () => {
    s3 = await startS3();
    const work = await mkdtemp(path.join(tmpdir(), 'lifeboat-page-offsite-'));
    const shop = await ensureDemoShop(path.join(work, 'shop'));
    process.env.AWS_ACCESS_KEY_ID = S3RVER_CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = S3RVER_CREDENTIALS.secretAccessKey;
    const env = {
      LIFEBOAT_ROOT: shop.root,
      LIFEBOAT_DATABASE_URL: shop.databaseUrl,
      LIFEBOAT_STORAGE_URL: `s3://${s3.bucket}/page`,
      LIFEBOAT_S3_ENDPOINT: s3.endpoint,
      AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    };
    const settings = loadSettings(env, work);
    const { record } = await takeBackup(settings, { type: 'db', name: 'only in bucket', trigger: 'test' });
    remoteSha256 = sha256(await readFile(path.join(settings.backupDir, record.file)));
    await deleteBackup(settings.backupDir, record);
    await new Promise((r) => setTimeout(r, 1100)); // the next backup gets another second in its file name
    await takeBackup(settings, { type: 'db', name: 'in both', trigger: 'test' });
    const added = await runCliWithStdin(['user', 'add', 'ada', '--role', 'admin', '--password-stdin'], env, PASSWORD);
    expect(added.code, added.stderr).toBe(0);
    [server, browser] = await Promise.all([startServer(env), launchChromium()]);
  });

  afterAll(async () => {
    await browser?.close();
    expect(await server?.stop()).toBe(0);
    await s3?.stop();
  });

  it('shows where each backup is, and downloads one that is only in the bucket', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
    await page.goto(`${server.base}/`);
    await signInOnPage(page, 'ada', PASSWORD);
    const remote = page.locator('#grid tbody tr[data-id]').filter({ hasText: 'only in bucket' });
    await expect.poll(() => remote.count(), { timeout: 30_000 }).toBe(1);
    const both = page.locator('#grid tbody tr[data-id]').filter({ hasText: 'in both' });
    expect((await both.getByRole('cell').allInnerTexts())[2]).toBe('in both local + S3');
    expect((await remote.getByRole('cell').allInnerTexts())[2]).toBe('only in bucket S3');
    await page.screenshot({ path: path.join(ARTIFACTS, 'admin-offsite.png'), fullPage: true });

    const [download] = await Promise.all([page.waitForEvent('download'), remote.getByRole('link', { name: 'Download' }).click()]);
    const saved = await download.path();
    expect(sha256(await readFile(saved))).toBe(remoteSha256);
    await page.close();
  });
});
