// Lifeboat's own state behaves the same in both of its homes: the SQLite file in LIFEBOAT_HOME and a
// MySQL/MariaDB schema of its own (LIFEBOAT_STATE_URL) on the real server. Every test runs on both;
// "another server" is a second store opened on the same location.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountStore } from '../../src/state/accounts.js';
import { SignInFailureStore } from '../../src/state/signin-failures.js';
import { usingStore } from '../../src/state/state-db.js';
import { StateStore, type StateLocation } from '../../src/state/state.js';
import { OperationError, UsageError } from '../../src/shared/errors.js';
import { requestCancel } from '../../src/core/jobs/cancel.js';
import { reapDeadJobs } from '../../src/core/jobs/jobs.js';
import { currentProcess } from '../../src/shared/process-identity.js';
import { STORED_LIMITS } from '../../src/shared/text-limits.js';
import { createTestSchema, withConnection } from '../helpers/mysql.js';
import { MIGRATIONS as MYSQL_MIGRATIONS } from '../../src/state/state-mysql.js';

/** Half of a character outside the BMP, without its other half: what a careless cut leaves. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** A pid that surely is not running: a child that has exited. */
const GONE_PID = 2 ** 22 + 17;

function conformance(name: string, setup: () => Promise<{ location: StateLocation; teardown: () => Promise<void> }>): void {
  describe(`state in ${name}`, () => {
    let location: StateLocation;
    let teardown: () => Promise<void>;
    let state: StateStore;
    let accounts: AccountStore;
    beforeAll(async () => {
      ({ location, teardown } = await setup());
      state = StateStore.open(location);
      accounts = AccountStore.open(location);
    });
    afterAll(async () => {
      await state.close();
      await accounts.close();
      await teardown();
    });

    it('records a job from creation to its end, with progress, log and host', async () => {
      const identity = currentProcess();
      await state.createJob({ id: 'jlife', kind: 'backup', type: 'db', description: 'backup db "Bücher 📚"', trigger: 'test', state: 'queued', process: identity });
      await state.markRunning('jlife');
      await state.updateProgress('jlife', { phase: 'dump', bytes: 10, rows: 2, table: 'sales_order' });
      await Promise.all(['one', 'two', 'three'].map((line) => state.appendLog('jlife', line)));
      const running = await state.getJob('jlife');
      expect(running).toMatchObject({ state: 'running', host: identity.host, process: identity, progress: { phase: 'dump', bytes: 10, rows: 2, table: 'sales_order' } });
      expect(running?.description).toBe('backup db "Bücher 📚"');
      // Concurrent appends (from separate connections) all land; their order is the order they won the row.
      expect(running?.log.map((line) => line.replace(/^\S+ /, '')).sort()).toEqual(['one', 'three', 'two']);
      expect(running?.startedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
      await state.finishJob('jlife', 'succeeded', { backupId: '1764000000_db', file: '1764000000_db.sql.gz' });
      expect(await state.getJob('jlife')).toMatchObject({ state: 'succeeded', backupId: '1764000000_db', file: '1764000000_db.sql.gz' });
      expect(await state.getJob('jnothing')).toBeUndefined();
    });

    it('lists jobs newest first, also those made within one millisecond', async () => {
      const ids = Array.from({ length: 6 }, (_, i) => `jorder${i}`);
      for (const id of ids) await state.createJob({ id, kind: 'rollback', type: 'db', description: id, trigger: 'test', state: 'running' });
      expect((await state.listJobs(6)).map((job) => job.id)).toEqual([...ids].reverse());
      for (const id of ids) await state.finishJob(id, 'failed', { error: 'x' });
    });

    it("keeps a job's backup name, and finds a page of the history by kind, outcome and trigger, without logs", async () => {
      await state.createJob({ id: 'jnamed', kind: 'verify', type: 'db', name: 'before_the_upgrade', description: 'verify x', trigger: 'history', state: 'running' });
      await state.createJob({ id: 'jnameless', kind: 'verify', type: 'db', name: '', description: 'verify y', trigger: 'history', state: 'running' });
      await state.appendLog('jnamed', 'a line');
      await state.finishJob('jnamed', 'failed', { error: 'damaged' });
      expect((await state.getJob('jnamed'))?.name).toBe('before_the_upgrade');
      expect(await state.getJob('jnameless')).not.toHaveProperty('name');
      const failed = await state.findJobs({ kind: 'verify', state: 'failed', trigger: 'history' });
      expect(failed).toMatchObject({ total: 1, jobs: [{ id: 'jnamed', name: 'before_the_upgrade', log: [] }] });
      const pages = await Promise.all([0, 1].map((offset) => state.findJobs({ trigger: 'history', limit: 1, offset })));
      expect(pages.map((page) => [page.total, page.jobs.map((job) => job.id)])).toEqual([[2, ['jnameless']], [2, ['jnamed']]]);
      await state.finishJob('jnameless', 'succeeded');
    });

    it('keeps who started a job, and finds the jobs of one user (or of none: "-")', async () => {
      await state.createJob({ id: 'jbyada', kind: 'backup', type: 'db', description: 'by ada', trigger: 'users', user: 'ada', state: 'running' });
      await state.createJob({ id: 'jbycli', kind: 'backup', type: 'db', description: 'by cli', trigger: 'users', user: 'cli:www-data', state: 'running' });
      await state.createJob({ id: 'jbynobody', kind: 'backup', type: 'db', description: 'old', trigger: 'users', state: 'running' });
      expect((await state.getJob('jbyada'))?.user).toBe('ada');
      expect(await state.getJob('jbynobody')).not.toHaveProperty('user');
      const of = async (user: string) => (await state.findJobs({ trigger: 'users', user })).jobs.map((job) => job.id);
      expect(await of('cli:www-data')).toEqual(['jbycli']);
      expect(await of('-')).toEqual(['jbynobody']);
      expect(await of('nobody-at-all')).toEqual([]);
      expect(await state.jobUsers()).toEqual(expect.arrayContaining(['-', 'ada', 'cli:www-data']));
      expect((await state.jobUsers())[0]).toBe('-');
      for (const id of ['jbyada', 'jbycli', 'jbynobody']) await state.finishJob(id, 'succeeded');
    });

    it('keeps unfinished jobs per host: reaping judges only this host, cancelling another host names it', async () => {
      const here = currentProcess();
      await state.createJob({ id: 'jgonehere', kind: 'backup', type: 'db', description: 'gone', trigger: 'test', state: 'running', process: { host: here.host, pid: GONE_PID } });
      await state.createJob({ id: 'jelsewhere', kind: 'backup', type: 'db', description: 'far', trigger: 'test', state: 'running', process: { host: 'web2.example', pid: GONE_PID } });
      expect((await state.unfinishedJobs('web2.example')).map((job) => job.id)).toEqual(['jelsewhere']);
      expect((await state.unfinishedJobs()).map((job) => job.id).sort()).toEqual(['jelsewhere', 'jgonehere']);
      expect(await reapDeadJobs(state)).toEqual(['job jgonehere (gone) was left running by a process that is gone; marked failed']);
      expect((await state.getJob('jelsewhere'))?.state).toBe('running');
      const refused = await requestCancel(state, 'jelsewhere', 'test').catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(OperationError);
      expect((refused as Error).message).toBe('job jelsewhere runs on host "web2.example"; cancel it there (lifeboat cancel jelsewhere on that host, or its admin page)');
      await state.finishJob('jelsewhere', 'failed', { error: 'test over' });
    });

    it('records who asked a running job to stop, and not once it has ended', async () => {
      await state.createJob({ id: 'jasked', kind: 'backup', type: 'db', description: 'asked', trigger: 'api', state: 'running' });
      expect(await state.cancelRequestOf('jasked')).toBeUndefined();
      await state.requestCancel('jasked', 'lifeboat cancel');
      expect(await state.cancelRequestOf('jasked')).toBe('lifeboat cancel');
      await state.finishJob('jasked', 'cancelled', { error: 'cancelled by lifeboat cancel' });
      await state.createJob({ id: 'jdone', kind: 'backup', type: 'db', description: 'done', trigger: 'api', state: 'running' });
      await state.finishJob('jdone', 'succeeded');
      await state.requestCancel('jdone', 'late');
      expect(await state.cancelRequestOf('jdone')).toBeUndefined();
    });

    it('counts backups per type for the metrics', async () => {
      await state.createJob({ id: 'jstat1', kind: 'backup', type: 'media', description: 'm', trigger: 'test', state: 'running' });
      await state.finishJob('jstat1', 'succeeded', { file: 'm1.tgz' });
      await state.createJob({ id: 'jstat2', kind: 'backup', type: 'media', description: 'm', trigger: 'test', state: 'running' });
      await state.finishJob('jstat2', 'failed', { error: 'disk full' });
      const media = (await state.backupStats()).find((stat) => stat.type === 'media');
      expect(media).toMatchObject({ failures: 1, lastSuccess: { id: 'jstat1', file: 'm1.tgz' } });
    });

    it('stores settings as JSON and replaces them', async () => {
      expect(await state.getSetting('schedule-test')).toBeUndefined();
      await state.setSetting('schedule-test', { time: '02:00', keep: [1, 2] });
      await state.setSetting('schedule-test', { time: '03:00', note: 'ünïcode' });
      const other = StateStore.open(location);
      expect(await other.getSetting('schedule-test')).toEqual({ time: '03:00', note: 'ünïcode' });
      await other.close();
    });

    it('lets exactly one of several stores claim an occurrence', async () => {
      const stores = [state, ...Array.from({ length: 4 }, () => StateStore.open(location))];
      const claims = await Promise.all(stores.map((store, i) => store.claimOccurrence('db@2026-11-25T02:00:00Z', `j${i}`)));
      expect(claims.filter(Boolean)).toHaveLength(1);
      expect(await state.isOccurrenceClaimed('db@2026-11-25T02:00:00Z')).toBe(true);
      expect(await state.isOccurrenceClaimed('db@2026-11-26T02:00:00Z')).toBe(false);
      expect(await state.claimOccurrence('db@2026-11-25T02:00:00Z', 'jlate')).toBe(false);
      for (const store of stores.slice(1)) await store.close();
    });

    it('keeps roles and users, with names compared exactly', async () => {
      // Shipped: admin, and Magento's two other permissions as operator (backup) and restorer (backup, rollback).
      expect(await accounts.listRoles()).toEqual([
        { name: 'admin', resources: ['backup', 'rollback', 'admin'] },
        { name: 'operator', resources: ['backup'] },
        { name: 'restorer', resources: ['backup', 'rollback'] },
      ]);
      expect(await accounts.defaultRole()).toBe('operator');
      await accounts.saveRole('clerk', ['backup']);
      expect(await accounts.saveRole('clerk', ['rollback', 'backup'])).toEqual({ name: 'clerk', resources: ['backup', 'rollback'] });
      await accounts.addUser('alice', 'admin', 'correct horse');
      await accounts.addUser('Alice', 'clerk', 'battery staple');
      await expect(accounts.addUser('alice', 'admin', 'another one')).rejects.toThrow(new UsageError('user "alice" exists already'));
      expect((await accounts.listUsers()).map((u) => [u.username, u.role, u.resources.join(',')])).toEqual([
        ['Alice', 'clerk', 'backup,rollback'],
        ['alice', 'admin', 'backup,rollback,admin'],
      ]);
      expect(await accounts.countUsers()).toBe(2);
      await expect(accounts.removeRole('clerk')).rejects.toThrow('role "clerk" still has 1 user(s); give them another role first');
      await expect(accounts.removeUser('alice')).rejects.toThrow('"alice" is the last admin; add another admin first');
      expect((await accounts.setRole('Alice', 'admin')).resources).toEqual(['backup', 'rollback', 'admin']);
      await accounts.removeRole('clerk');
      expect(await accounts.getRole('clerk')).toBeUndefined();
    });

    it('shares sessions between stores, and a new password ends them', async () => {
      expect(await accounts.authenticate('alice', 'wrong password')).toBeUndefined();
      expect(await accounts.authenticate('nobody', 'correct horse')).toBeUndefined();
      expect((await accounts.authenticate('alice', 'correct horse'))?.username).toBe('alice');
      const session = await accounts.createSession('alice');
      const other = AccountStore.open(location);
      try {
        expect(await other.getSession(session.token)).toMatchObject({ user: { username: 'alice', role: 'admin' }, csrfToken: session.csrfToken, expiresAt: session.expiresAt });
        expect(await other.getSession('not-a-token')).toBeUndefined();
        await other.setPassword('alice', 'new password 1');
        expect(await accounts.getSession(session.token)).toBeUndefined();
        expect((await accounts.authenticate('alice', 'new password 1'))?.username).toBe('alice');
        const second = await other.createSession('alice');
        await accounts.deleteSession(second.token);
        expect(await other.getSession(second.token)).toBeUndefined();
      } finally {
        await other.close();
      }
    });

    it('counts failed sign-ins per address for every store, forgetting old ones and cleared accounts', async () => {
      const [one, two] = [SignInFailureStore.open(location), SignInFailureStore.open(location)];
      try {
        const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 12, minute));
        await one.add('192.0.2.1', 'alice', at(0), at(0));
        const second = await two.add('192.0.2.1', 'bob', at(1), at(0));
        await one.add('192.0.2.1', 'alice', at(2), at(0));
        await two.add('192.0.2.2', 'alice', at(3), at(0));
        const seen = async (store: SignInFailureStore, since: Date) => (await store.fromAddress('192.0.2.1', since)).map((f) => [f.username, f.at]);
        expect(await seen(two, at(0))).toEqual([['alice', at(0).getTime()], ['bob', at(1).getTime()], ['alice', at(2).getTime()]]);
        expect(await seen(one, at(1))).toEqual([['bob', at(1).getTime()], ['alice', at(2).getTime()]]);
        await one.remove(second);
        await two.clear('192.0.2.1', 'alice');
        expect(await seen(one, at(0))).toEqual([]);
        expect((await one.fromAddress('192.0.2.2', at(0))).map((f) => f.username)).toEqual(['alice']);
        // Adding forgets what is older than the window, of every address.
        await one.add('192.0.2.1', 'carol', at(30), at(15));
        expect((await two.fromAddress('192.0.2.2', at(0))).map((f) => f.username)).toEqual([]);
      } finally {
        await one.close();
        await two.close();
      }
    });

    it('keeps the audit log newest first', async () => {
      await accounts.audit({ username: 'alice', action: 'sign-in', address: '10.0.0.7', success: true });
      await accounts.audit({ action: 'setup', success: false, detail: 'wrong setup token' });
      const [last, before] = await accounts.listAudit(2);
      expect(last).toMatchObject({ username: null, action: 'setup', success: false, detail: 'wrong setup token', backup: null });
      expect(before).toMatchObject({ username: 'alice', action: 'sign-in', address: '10.0.0.7', success: true });
      expect(last.id).toBeGreaterThan(before.id);
      expect(last.at >= before.at).toBe(true);
      expect([last.result, before.result]).toEqual(['failed', 'success']);
      // A job a user stopped is neither: "cancelled", and not a success for a reader of `success` alone.
      await accounts.audit({ username: 'alice', action: 'backup db', success: 'cancelled', detail: 'cancelled by alice (web)' });
      expect((await accounts.listAudit(1))[0]).toMatchObject({ action: 'backup db', success: false, result: 'cancelled' });
    });

    it('keeps every stored text within its limit: a longer one is cut, marked, never split inside a character', async () => {
      const cut = (text: string | null | undefined, limit: number) => {
        expect(text).toHaveLength(limit);
        expect(text?.endsWith('…')).toBe(true);
        expect(text).not.toMatch(LONE_SURROGATE);
      };
      // An odd number of letters before the emoji puts the cut inside a surrogate pair.
      const emojiTail = (length: number) => `x${'📚'.repeat(length)}`;
      await state.createJob({ id: 'jlong', kind: 'backup', type: 'db', description: emojiTail(STORED_LIMITS.jobDescription), trigger: 'test', state: 'running' });
      await state.appendLog('jlong', 'l'.repeat(100_000));
      await state.finishJob('jlong', 'failed', { error: emojiTail(100_000) });
      const job = await state.getJob('jlong');
      expect(job?.description.length).toBeLessThanOrEqual(STORED_LIMITS.jobDescription);
      expect(job?.description).not.toMatch(LONE_SURROGATE);
      expect(job?.description.endsWith('…')).toBe(true);
      cut(job?.log[0].replace(/^\S+ /, ''), STORED_LIMITS.jobLogLine);
      expect(job?.error?.length).toBeLessThanOrEqual(STORED_LIMITS.jobError);
      expect(job?.error?.endsWith('…')).toBe(true);
      await accounts.audit({ username: 'u'.repeat(1_000_000), action: 'a'.repeat(1000), backup: 'b'.repeat(1000), address: '1'.repeat(1000), success: false, detail: 'd'.repeat(1_000_000) });
      const [entry] = await accounts.listAudit(1);
      cut(entry.username, STORED_LIMITS.auditUsername);
      cut(entry.action, STORED_LIMITS.auditAction);
      cut(entry.backup, STORED_LIMITS.auditBackup);
      cut(entry.address, STORED_LIMITS.auditAddress);
      cut(entry.detail, STORED_LIMITS.auditDetail);
    });
  });
}

conformance('SQLite', async () => ({ location: { home: await mkdtemp(path.join(tmpdir(), 'lifeboat-state-')) }, teardown: async () => undefined }));

conformance('MySQL/MariaDB', async () => {
  const { target, drop } = await createTestSchema('state');
  return { location: { home: '/nonexistent-home-unused', stateTarget: target }, teardown: drop };
});

describe('the MySQL/MariaDB state schema', () => {
  let drop: () => Promise<void>;
  let location: StateLocation;
  beforeAll(async () => {
    const schema = await createTestSchema('state');
    drop = schema.drop;
    location = { home: '/nonexistent-home-unused', stateTarget: schema.target };
  });
  afterAll(async () => drop());

  it('is made on first use: InnoDB utf8mb4 tables and a schema version', async () => {
    const stores = Array.from({ length: 3 }, () => StateStore.open(location));
    await Promise.all(stores.map((store) => store.listJobs()));
    for (const store of stores) await store.close();
    const target = location.stateTarget!;
    await withConnection(target, async (conn) => {
      const [tables] = await conn.query('SELECT TABLE_NAME AS name, ENGINE AS engine, TABLE_COLLATION AS collation FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME', [target.database]);
      expect(tables).toEqual(
        ['audit', 'job', 'lifeboat_schema', 'role', 'schedule_run', 'session', 'setting', 'signin_failure', 'user'].map((name) => ({ name, engine: 'InnoDB', collation: 'utf8mb4_bin' })),
      );
      const [version] = await conn.query('SELECT version FROM lifeboat_schema');
      expect(version).toEqual([{ version: MYSQL_MIGRATIONS.length }]);
    });
  });

  it('that cannot be reached gets a one-line error naming it', async () => {
    const store = StateStore.open({ home: '/unused', stateTarget: { ...location.stateTarget!, port: 1 } });
    const error = await store.getSetting('x').catch((e: unknown) => e);
    await store.close();
    expect(error).toBeInstanceOf(OperationError);
    expect((error as Error).message).toMatch(/^Lifeboat's state database \(LIFEBOAT_STATE_URL, root@127\.0\.0\.1:1\/lbt_state_\w+\): .*ECONNREFUSED.*; check that the server is reachable and the URL is right$/);
  });

  it('that does not exist gets a one-line error saying how to create it', async () => {
    const store = StateStore.open({ home: '/unused', stateTarget: { ...location.stateTarget!, database: 'lbt_state_missing_schema' } });
    const error = await store.listJobs().catch((e: unknown) => e);
    await store.close();
    expect(error).toBeInstanceOf(OperationError);
    expect((error as Error).message).toMatch(/^Lifeboat's state database \(LIFEBOAT_STATE_URL, root@127\.0\.0\.1:3306\/lbt_state_missing_schema\) does not exist: create it once, e\.g\. CREATE DATABASE lbt_state_missing_schema CHARACTER SET utf8mb4; GRANT ALL ON lbt_state_missing_schema\.\* TO 'root'@'%';$/);
  });
});

describe('an SQLite state from before hosts were recorded', () => {
  it('is migrated: running jobs get their host from the recorded process', async () => {
    const { DatabaseSync: Database } = await import('node:sqlite');
    const { MIGRATIONS } = await import('../../src/state/state-sqlite.js');
    const home = await mkdtemp(path.join(tmpdir(), 'lifeboat-state-old-'));
    const old = new Database(path.join(home, 'lifeboat.db'));
    old.exec(MIGRATIONS[0]);
    old.exec(MIGRATIONS[1]);
    old.exec('PRAGMA user_version = 2');
    old.prepare("INSERT INTO job (id, kind, type, description, trigger, state, created_at, process) VALUES ('jold', 'backup', 'db', 'backup db', 'cli', 'running', '2026-01-01T00:00:00.000Z', ?)")
      .run(JSON.stringify({ host: 'web1.example', pid: 123 }));
    old.close();
    await usingStore(StateStore.open({ home }), async (store) => {
      expect((await store.unfinishedJobs('web1.example')).map((job) => [job.id, job.host])).toEqual([['jold', 'web1.example']]);
      expect(await store.listJobs()).toHaveLength(1);
    });
  });
});

describe('an SQLite state from before the one spelling of the backup types', () => {
  it("is migrated: jobs of Magento's words get Lifeboat's", async () => {
    const { DatabaseSync: Database } = await import('node:sqlite');
    const { MIGRATIONS } = await import('../../src/state/state-sqlite.js');
    const home = await mkdtemp(path.join(tmpdir(), 'lifeboat-state-old-'));
    const old = new Database(path.join(home, 'lifeboat.db'));
    for (const migration of MIGRATIONS.slice(0, 4)) old.exec(migration);
    old.exec('PRAGMA user_version = 4');
    const insert = old.prepare("INSERT INTO job (id, kind, type, description, trigger, state, created_at) VALUES (?, 'backup', ?, 'backup', 'cli', 'succeeded', ?)");
    insert.run('jsys', 'snapshot', '2026-01-01T00:00:00.000Z');
    insert.run('jcode', 'filesystem_code', '2026-01-01T00:00:01.000Z');
    insert.run('jdb', 'db', '2026-01-01T00:00:02.000Z');
    old.close();
    await usingStore(StateStore.open({ home }), async (store) => {
      expect(Object.fromEntries((await store.listJobs()).map((job) => [job.id, job.type]))).toEqual({ jsys: 'system', jcode: 'code', jdb: 'db' });
    });
  });
});

describe('a state from before jobs kept who started them', () => {
  it('is migrated in SQLite: its jobs have no user, and are found as "-"', async () => {
    const { DatabaseSync: Database } = await import('node:sqlite');
    const { MIGRATIONS } = await import('../../src/state/state-sqlite.js');
    const home = await mkdtemp(path.join(tmpdir(), 'lifeboat-state-old-'));
    const old = new Database(path.join(home, 'lifeboat.db'));
    for (const migration of MIGRATIONS.slice(0, -1)) old.exec(migration);
    old.exec(`PRAGMA user_version = ${MIGRATIONS.length - 1}`);
    old.prepare("INSERT INTO job (id, kind, type, description, trigger, state, created_at) VALUES ('jold', 'backup', 'db', 'backup', 'cli', 'succeeded', '2026-01-01T00:00:00.000Z')").run();
    old.close();
    await usingStore(StateStore.open({ home }), async (store) => {
      await store.createJob({ id: 'jnew', kind: 'backup', type: 'db', description: 'backup', trigger: 'cli', user: 'cli:www-data', state: 'running' });
      expect((await store.listJobs()).map((job) => [job.id, job.user])).toEqual([['jnew', 'cli:www-data'], ['jold', undefined]]);
      expect((await store.findJobs({ user: '-' })).jobs.map((job) => job.id)).toEqual(['jold']);
    });
  });

  it('is migrated in MySQL/MariaDB: its jobs have no user, and are found as "-"', async () => {
    const schema = await createTestSchema('state_nouser');
    try {
      await withConnection(schema.target, async (conn) => {
        for (const statement of MYSQL_MIGRATIONS.slice(0, -1).flat()) await conn.query(statement);
        await conn.query('CREATE TABLE lifeboat_schema (id TINYINT NOT NULL PRIMARY KEY, version INT NOT NULL)');
        await conn.query('INSERT INTO lifeboat_schema VALUES (1, ?)', [MYSQL_MIGRATIONS.length - 1]);
        await conn.query("INSERT INTO job (id, kind, type, description, `trigger`, state, log, created_at) VALUES ('jold', 'backup', 'db', 'b', 'cli', 'succeeded', '[]', '2026-01-01T00:00:00Z')");
      });
      await usingStore(StateStore.open({ home: '/unused', stateTarget: schema.target }), async (store) => {
        expect(await store.getJob('jold')).not.toHaveProperty('user');
        expect(await store.jobUsers()).toEqual(['-']);
        expect((await store.findJobs({ user: '-' })).jobs.map((job) => job.id)).toEqual(['jold']);
      });
    } finally {
      await schema.drop();
    }
  });
});

describe('a MySQL/MariaDB state from before the one spelling of the backup types', () => {
  it("is migrated: jobs of Magento's words get Lifeboat's", async () => {
    const { MIGRATIONS } = await import('../../src/state/state-mysql.js');
    const schema = await createTestSchema('state_old');
    try {
      await withConnection(schema.target, async (conn) => {
        for (const statement of MIGRATIONS.slice(0, 2).flat()) await conn.query(statement);
        await conn.query('CREATE TABLE lifeboat_schema (id TINYINT NOT NULL PRIMARY KEY, version INT NOT NULL)');
        await conn.query('INSERT INTO lifeboat_schema VALUES (1, 2)');
        await conn.query(
          "INSERT INTO job (id, kind, type, description, `trigger`, state, log, created_at) VALUES ('jsys', 'backup', 'snapshot', 'b', 'cli', 'succeeded', '[]', '2026-01-01T00:00:00Z'), ('jcode', 'backup', 'filesystem_code', 'b', 'cli', 'succeeded', '[]', '2026-01-01T00:00:01Z')",
        );
      });
      await usingStore(StateStore.open({ home: '/unused', stateTarget: schema.target }), async (store) => {
        expect(Object.fromEntries((await store.listJobs()).map((job) => [job.id, job.type]))).toEqual({ jsys: 'system', jcode: 'code' });
      });
    } finally {
      await schema.drop();
    }
  });
});
