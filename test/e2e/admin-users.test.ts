// The Users and roles page in Debian's Chromium (playwright-core): the shipped roles operator and
// restorer besides admin; "Add a user" defaults to the least privilege; user and role names are checked
// as they are typed (the rule shown at the field, the form not sent), and the server refuses a bad name
// in one line, creating nothing; `lifeboat user add` without --role makes an operator; at 1280 px every
// user's "Reset password" and "Remove" are in view. Screenshots go to test-results/.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDemoShop } from '../../src/demo/shop.js';
import { AFTER_PASSWORD_CHECK, ARTIFACTS, launchChromium, signInOnPage } from '../helpers/browser.js';
import { addAccounts, call, runCliWithStdin, signIn, startServer, type RunningServer } from '../helpers/server.js';

const PASSWORD = 'users test password';

interface Listed {
  username: string;
  role: string;
}

describe('users and roles in Chromium', () => {
  let server: RunningServer;
  let browser: Browser;
  let env: Record<string, string>;

  const users = async () => JSON.parse((await runCliWithStdin(['user', 'list', '--json'], env, '')).stdout) as Listed[];
  const roles = async () => JSON.parse((await runCliWithStdin(['role', 'list', '--json'], env, '')).stdout) as { name: string; resources: string[] }[];

  beforeAll(async () => {
    const shop = await ensureDemoShop(path.join(await mkdtemp(path.join(tmpdir(), 'lifeboat-users-')), 'shop'));
    env = { LIFEBOAT_ROOT: shop.root, LIFEBOAT_DATABASE_URL: shop.databaseUrl };
    // Long names, as real ones are: they must not push the row's actions out of view.
    await addAccounts(env, PASSWORD, { users: { 'ada.lovelace@shop.example': 'admin', 'grace.hopper-night-shift@shop.example': 'restorer' } });
    server = await startServer(env);
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    expect(await server?.stop()).toBe(0);
  });

  async function usersPage(width: number): Promise<Page> {
    const page = await browser.newPage({ viewport: { width, height: 900 } });
    await page.goto(`${server.base}/`);
    await signInOnPage(page, 'ada.lovelace@shop.example', PASSWORD);
    await expect.poll(() => page.getByRole('heading', { name: 'Backups' }).isVisible(), AFTER_PASSWORD_CHECK).toBe(true);
    await page.getByRole('button', { name: 'Users and roles' }).click();
    await expect.poll(() => page.locator('#user-table tbody tr').count()).toBeGreaterThan(0);
    return page;
  }

  it('ships operator and restorer; the CLI and the API default a new user to operator', async () => {
    expect(await roles()).toEqual([
      { name: 'admin', resources: ['backup', 'rollback', 'admin'] },
      { name: 'operator', resources: ['backup'] },
      { name: 'restorer', resources: ['backup', 'rollback'] },
    ]);
    const added = await runCliWithStdin(['user', 'add', 'cli-default', '--password-stdin'], env, PASSWORD);
    expect(added.stdout).toBe('added user cli-default (role operator: backup)\n');
    const admin = await signIn(server.base, 'ada.lovelace@shop.example', PASSWORD);
    expect((await call(server.base, admin, 'POST', '/api/users', { username: 'api-default', password: PASSWORD })).status).toBe(201);
    expect((await users()).filter((u) => u.username.endsWith('-default')).map((u) => u.role)).toEqual(['operator', 'operator']);

    // A bad role name: one line, nothing made.
    const refused = await call(server.base, admin, 'POST', '/api/roles', { name: 'night shift', resources: ['backup'] });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual({ error: 'a role name has letters, digits, ".", "_", "@" or "-" (at most 64), not "night shift"' });
    expect((await roles()).map((r) => r.name)).toEqual(['admin', 'operator', 'restorer']);
  });

  it('defaults "Add a user" to operator and checks names as they are typed', async () => {
    const page = await usersPage(1280);
    const form = page.getByRole('form', { name: 'Add a user' });
    expect(await form.getByLabel('Role').inputValue()).toBe('operator');
    expect(await form.getByLabel('Role').locator('option').allInnerTexts()).toEqual(['admin (Backups, Rollback, Admin)', 'operator (Backups)', 'restorer (Backups, Rollback)']);

    // The rule shows at the field while typing, before any submit; the form is not sent.
    const roleForm = page.getByRole('form', { name: 'Add a role' });
    await roleForm.getByLabel('Role name').pressSequentially('night shift');
    expect(await roleForm.getByText('A role name has letters, digits, ".", "_", "@" and "-" only: no spaces.').isVisible()).toBe(true);
    expect(await roleForm.getByLabel('Role name').getAttribute('aria-invalid')).toBe('true');
    await roleForm.getByRole('button', { name: 'Save role' }).click();
    await page.waitForTimeout(500);
    expect((await roles()).map((r) => r.name)).toEqual(['admin', 'operator', 'restorer']);
    // Editing a role puts a good name in the field (and renames the form): the rule shown for the typed one goes.
    await page.getByRole('button', { name: 'Edit role restorer' }).click();
    expect(await page.locator('#role-name-hint').textContent()).toBe('');
    expect(await page.locator('#role-name').getAttribute('aria-invalid')).toBe('false');

    await form.getByLabel('Username').pressSequentially('new user');
    expect(await form.getByText('A user name has letters, digits, ".", "_", "@" and "-" only: no spaces.').isVisible()).toBe(true);
    await form.getByLabel('Username').fill('schedule');
    expect(await form.getByText('"schedule" is reserved: the job history uses it for scheduled runs.').isVisible()).toBe(true);
    await form.getByLabel('Username').fill('newcomer');
    await form.getByLabel(/^Password/).fill(PASSWORD);
    await form.getByRole('button', { name: 'Add user' }).click();
    await expect.poll(async () => (await users()).find((u) => u.username === 'newcomer')?.role, AFTER_PASSWORD_CHECK).toBe('operator');
    // The form resets to the least privilege again.
    await expect.poll(() => form.getByLabel('Role').inputValue()).toBe('operator');
    await page.close();
  });

  it('keeps every user\'s "Reset password" and "Remove" in view at 1280 px', async () => {
    const page = await usersPage(1280);
    const wrap = page.locator('#user-table').locator('xpath=..');
    expect(await wrap.evaluate((node) => node.scrollWidth - node.clientWidth)).toBe(0);
    const box = (await wrap.boundingBox())!;
    for (const button of await page.locator('#user-table tbody button').all()) {
      const at = (await button.boundingBox())!;
      expect(at.x).toBeGreaterThanOrEqual(box.x);
      expect(at.x + at.width).toBeLessThanOrEqual(box.x + box.width);
    }
    expect(await page.getByRole('button', { name: 'Remove grace.hopper-night-shift@shop.example' }).isVisible()).toBe(true);
    await page.screenshot({ path: path.join(ARTIFACTS, 'admin-users-1280.png'), fullPage: true });
    await page.close();
  });

  it("removes a user after the page's own question (no browser box); Cancel keeps them", async () => {
    const page = await usersPage(1280);
    const boxes: string[] = [];
    page.on('dialog', (box) => {
      boxes.push(box.message());
      void box.dismiss();
    });
    const question = page.getByRole('dialog', { name: 'Remove a user' });
    await page.getByRole('button', { name: 'Remove newcomer' }).click();
    expect(await question.getByText('Remove the user newcomer? Their sessions end at once.').isVisible()).toBe(true);
    await question.getByRole('button', { name: 'Cancel' }).click();
    expect((await users()).some((u) => u.username === 'newcomer')).toBe(true);
    await page.getByRole('button', { name: 'Remove newcomer' }).click();
    await question.getByRole('button', { name: 'Remove' }).click();
    await expect.poll(async () => (await users()).some((u) => u.username === 'newcomer')).toBe(false);
    await expect.poll(() => page.getByRole('button', { name: 'Remove newcomer' }).count()).toBe(0);
    expect(boxes).toEqual([]);
    await page.close();
  });
});
