// Browsing a backup through the HTTP API of the real `lifeboat serve`, on the demo shop (SQLite): a
// database backup's tables with their rows, a file backup's folders in pages (limit, offset, total),
// bad folders and paging refused with 400, and the rollback route's `tables` and `paths` checked before
// any job starts; a `paths` rollback puts back the file's bytes and nothing else.
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDemoShop } from '../../src/demo/shop.js';
import { runCli } from '../helpers/cli.js';
import { call, signIn, startServer, waitForJob, type Client, type RunningServer } from '../helpers/server.js';

const PASSWORD = 'correct horse battery';
const MANY = 450;

describe('browsing a backup through the HTTP API', () => {
  let server: RunningServer;
  let admin: Client;
  let root: string;
  const ids = { db: '', system: '' };

  beforeAll(async () => {
    const shop = await ensureDemoShop(path.join(await mkdtemp(path.join(tmpdir(), 'lifeboat-api-browse-')), 'shop'));
    root = shop.root;
    const env = { LIFEBOAT_ROOT: root, LIFEBOAT_DATABASE_URL: shop.databaseUrl };
    await mkdir(path.join(root, 'pub/media/many'), { recursive: true });
    for (let i = 0; i < MANY; i++) await writeFile(path.join(root, 'pub/media/many', `f${String(i).padStart(3, '0')}.txt`), `file ${i}\n`);
    for (const type of ['db', 'system'] as const) {
      const made = await runCli(['backup', type, '--json'], env);
      expect(made.code, made.stderr).toBe(0);
      ids[type] = JSON.parse(made.stdout).id;
    }
    server = await startServer(env);
    expect((await call(server.base, undefined, 'POST', '/api/setup', { token: server.setupToken, username: 'ada', password: PASSWORD })).status).toBe(201);
    admin = await signIn(server.base, 'ada', PASSWORD);
  });

  afterAll(async () => {
    expect(await server?.stop()).toBe(0);
  });

  const get = async (url: string) => {
    const response = await call(server.base, admin, 'GET', url);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it("lists a database backup's tables with their rows", async () => {
    const { status, body } = await get(`/api/backups/${ids.db}/tables`);
    expect(status).toBe(200);
    expect(body.known).toBe(true);
    expect(body.tables).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'customer_entity', rows: 100 })]));
  });

  it("lists a file backup's folder in pages, folders first", async () => {
    const top = await get(`/api/backups/${ids.system}/files`);
    expect(top.status).toBe(200);
    const names = (top.body.entries as { name: string; type: string }[]).map((e) => `${e.type}:${e.name}`);
    expect(names.indexOf('dir:pub')).toBeLessThan(names.indexOf('file:composer.json'));

    const first = await get(`/api/backups/${ids.system}/files?folder=pub/media/many`);
    expect(first.body).toMatchObject({ folder: 'pub/media/many', total: MANY, offset: 0 });
    expect(first.body.entries).toHaveLength(200);
    const last = await get(`/api/backups/${ids.system}/files?folder=/pub/media/many/&offset=400&limit=5000`);
    const entries = last.body.entries as { name: string; size: number }[];
    expect(entries).toHaveLength(MANY - 400);
    expect(entries[0]).toMatchObject({ name: 'f400.txt', size: 'file 400\n'.length });
  });

  it('refuses folders the backup does not hold, paths out of the root, bad paging and database backups', async () => {
    for (const url of [
      `/api/backups/${ids.system}/files?folder=no/such`,
      `/api/backups/${ids.system}/files?folder=../etc`,
      `/api/backups/${ids.system}/files?folder=composer.json`,
      `/api/backups/${ids.system}/files?offset=-1`,
      `/api/backups/${ids.db}/files`,
    ]) {
      const { status, body } = await get(url);
      expect(status, url).toBe(400);
      expect(body.error, url).toMatch(/^\S.*\S$/);
    }
    expect((await get('/api/backups/nosuch/files')).status).toBe(404);
  });

  it('checks tables and paths of a rollback before starting a job, and restores one path', async () => {
    const rollback = (id: string, body: Record<string, unknown>) => call(server.base, admin, 'POST', `/api/backups/${id}/rollback`, { password: PASSWORD, ...body });
    expect((await rollback(ids.system, { paths: 'app' })).status).toBe(400);
    expect((await rollback(ids.system, { paths: ['../x'] })).status).toBe(400);
    expect((await rollback(ids.db, { paths: ['app/etc/env.php'] })).status).toBe(400);
    expect((await rollback(ids.system, { tables: ['store'] })).status).toBe(400);

    const original = await readFile(path.join(root, 'app/etc/env.php'), 'utf8');
    await writeFile(path.join(root, 'app/etc/env.php'), 'changed\n');
    await writeFile(path.join(root, 'composer.json'), 'changed\n');
    const started = await rollback(ids.system, { paths: ['app/etc/env.php'] });
    expect(started.status).toBe(202);
    const { job } = (await started.json()) as { job: { id: string; description: string } };
    expect(job.description).toContain('(paths app/etc/env.php)');
    expect((await waitForJob(server.base, admin, job.id)).state).toBe('succeeded');
    expect(await readFile(path.join(root, 'app/etc/env.php'), 'utf8')).toBe(original);
    expect(await readFile(path.join(root, 'composer.json'), 'utf8')).toBe('changed\n');
  });
});
