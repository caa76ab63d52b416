// Helpers for integration tests against the real MariaDB/MySQL server (127.0.0.1:3306, root, no
// password unless LIFEBOAT_TEST_MYSQL_URL says otherwise). Tests fail, never skip, when it is missing.
import { execFile, spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { openConnection, type MysqlConnection } from '../../src/engines/mysql/connect.js';
import { parseDatabaseUrl, type MysqlTarget } from '../../src/engines/target.js';

const execFileAsync = promisify(execFile);

export const TEST_SERVER_URL = process.env.LIFEBOAT_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';

export function testTarget(database: string): MysqlTarget {
  const base = parseDatabaseUrl(TEST_SERVER_URL, process.cwd());
  if (base.kind !== 'mysql') throw new Error('LIFEBOAT_TEST_MYSQL_URL must be a mysql:// URL');
  return { ...base, database };
}

/**
 * A Magento-like user for `target`'s schema, as shops run: ALL on the shop's schema and on its helper
 * schemas (the GRANT the README asks for), nothing global. Returns the target as that user and a function
 * that drops the user.
 */
export async function shopUser(target: MysqlTarget): Promise<{ target: MysqlTarget; drop: () => Promise<void> }> {
  const user = `lbu_${randomBytes(4).toString('hex')}`;
  const password = randomBytes(12).toString('base64url');
  const helpers = `${target.database}__lb_`.replace(/[_%\\]/g, (c) => '\\' + c) + '%';
  await withConnection(target, (conn) =>
    conn.query(
      `CREATE USER '${user}'@'%' IDENTIFIED BY '${password}';
       GRANT ALL PRIVILEGES ON \`${target.database}\`.* TO '${user}'@'%';
       GRANT ALL PRIVILEGES ON \`${helpers}\`.* TO '${user}'@'%'`,
    ),
  );
  return {
    target: { ...target, user, password },
    drop: () => withConnection(target, (conn) => conn.query(`DROP USER IF EXISTS '${user}'@'%'`)).then(() => undefined),
  };
}

/**
 * A fresh, uniquely named schema; drop it with the returned function. With `asShopUser` its target is a
 * Magento-like user's (see shopUser), as shops run, and dropping it drops that user too.
 */
export async function createTestSchema(prefix: string, options: { asShopUser?: boolean } = {}): Promise<{ target: MysqlTarget; drop: () => Promise<void> }> {
  const database = `lbt_${prefix}_${randomBytes(4).toString('hex')}`;
  const target = testTarget(database);
  const admin = await openConnection(target, { noDatabase: true });
  try {
    await admin.query(`CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci`);
  } finally {
    await admin.end();
  }
  const user = options.asShopUser ? await shopUser(target) : undefined;
  return {
    target: user?.target ?? target,
    drop: async () => {
      await user?.drop();
      const conn = await openConnection(target, { noDatabase: true });
      try {
        // Staging and previous-state schemas that a restore may leave behind share the prefix.
        const [rows] = await conn.query('SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?', [
          `${database}%`,
        ]);
        for (const row of rows as { name: string }[]) await conn.query(`DROP DATABASE IF EXISTS \`${row.name}\``);
      } finally {
        await conn.end();
      }
    },
  };
}

/** The URL the `lifeboat` command takes for `target` (LIFEBOAT_DATABASE_URL). */
export function databaseUrl(t: MysqlTarget): string {
  return `mysql://${t.user}${t.password ? ':' + t.password : ''}@${t.host}:${t.port}/${t.database}`;
}

export async function withConnection<T>(target: MysqlTarget, fn: (conn: MysqlConnection) => Promise<T>): Promise<T> {
  const conn = await openConnection(target, { multipleStatements: true });
  try {
    return await fn(conn);
  } finally {
    await conn.end();
  }
}

/** Runs one query on a fresh connection and returns its rows. */
export async function queryRows<T = Record<string, unknown>>(target: MysqlTarget, sql: string, params: unknown[] = []): Promise<T[]> {
  return withConnection(target, async (conn) => {
    const [rows] = await conn.query(sql, params);
    return rows as T[];
  });
}

/** `CHECKSUM TABLE ... EXTENDED` of the tables, by table name. */
export async function tableChecksums(target: MysqlTarget, tables: string[]): Promise<Record<string, string>> {
  const rows = await queryRows<{ Table: string; Checksum: string }>(target, `CHECKSUM TABLE ${tables.map((t) => `\`${t}\``).join(', ')} EXTENDED`);
  return Object.fromEntries(rows.map((r) => [r.Table.split('.').pop() ?? r.Table, String(r.Checksum)]));
}

/** The schemas one test file creates: `create` makes one, `dropAll` (for afterAll) drops them all. */
export function schemaRegistry(): { create: (prefix: string) => Promise<MysqlTarget>; dropAll: () => Promise<void> } {
  const created: { drop: () => Promise<void> }[] = [];
  return {
    create: async (prefix) => {
      const schema = await createTestSchema(prefix);
      created.push(schema);
      return schema.target;
    },
    dropAll: async () => {
      for (const schema of created.splice(0)) await schema.drop();
    },
  };
}

function clientArgs(target: MysqlTarget): string[] {
  const args = [`-h${target.host}`, `-P${target.port}`, `-u${target.user}`];
  if (target.password) args.push(`-p${target.password}`);
  return args;
}

/** Loads a SQL file (plain or .gz) into the target with the stock `mariadb`/`mysql` client. */
export async function loadWithStockClient(target: MysqlTarget, file: string): Promise<void> {
  const client = await stockClient();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(client, [...clientArgs(target), target.database], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${client} exited ${code}: ${stderr}`))));
    const source = createReadStream(file);
    if (file.endsWith('.gz')) {
      const gunzip = spawn('gzip', ['-dc'], { stdio: ['pipe', 'pipe', 'inherit'] });
      source.pipe(gunzip.stdin);
      gunzip.stdout.pipe(child.stdin);
    } else {
      source.pipe(child.stdin);
    }
  });
}

export async function stockClient(): Promise<string> {
  for (const name of ['mariadb', 'mysql']) {
    try {
      await execFileAsync('which', [name]);
      return name;
    } catch {
      // try the next name
    }
  }
  throw new Error('neither mariadb nor mysql client is installed (apt-get install mariadb-client)');
}

/** Runs the stock dump tool (mariadb-dump or mysqldump) and returns its output file. */
export async function dumpWithStockTool(target: MysqlTarget, outFile: string, extra: string[] = []): Promise<void> {
  let tool = 'mysqldump';
  try {
    await execFileAsync('which', ['mariadb-dump']);
    tool = 'mariadb-dump';
  } catch {
    // fall back to mysqldump
  }
  await execFileAsync('sh', [
    '-c',
    `${tool} ${clientArgs(target).join(' ')} --single-transaction --routines --triggers --events ${extra.join(' ')} ${target.database} > '${outFile}'`,
  ]);
}

export interface SchemaFingerprint {
  /** Table name -> `CHECKSUM TABLE ... EXTENDED` value and row count. */
  tables: Record<string, { checksum: string | null; rows: number }>;
  /** Object kind and name -> normalised SHOW CREATE text. */
  objects: Record<string, string>;
}

/**
 * Everything that must be equal between the original and a restored database: table checksums and row
 * counts, and the definition of every table, view, trigger, routine, event and sequence (with the schema
 * name and definer normalised away, since they legitimately differ).
 */
export async function fingerprint(target: MysqlTarget): Promise<SchemaFingerprint> {
  return withConnection(target, async (conn) => {
    const db = target.database;
    const normalise = (sql: string) =>
      sql
        .split(`\`${db}\`.`)
        .join('')
        .replace(/ DEFINER=`[^`]*`@`[^`]*`/g, '')
        .replace(/ AUTO_INCREMENT=\d+/g, (m) => m); // AUTO_INCREMENT is part of what must be restored
    const result: SchemaFingerprint = { tables: {}, objects: {} };
    const [tables] = await conn.query(
      'SELECT TABLE_NAME AS name, TABLE_TYPE AS type FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME',
      [db],
    );
    for (const t of tables as { name: string; type: string }[]) {
      if (t.type === 'VIEW') {
        const [rows] = await conn.query(`SHOW CREATE VIEW \`${t.name}\``);
        result.objects[`view ${t.name}`] = normalise((rows as Record<string, string>[])[0]['Create View']);
        continue;
      }
      if (t.type === 'SEQUENCE') {
        const [rows] = await conn.query(`SHOW CREATE SEQUENCE \`${t.name}\``);
        result.objects[`sequence ${t.name}`] = normalise((rows as Record<string, string>[])[0]['Create Table']);
        continue;
      }
      const [create] = await conn.query(`SHOW CREATE TABLE \`${t.name}\``);
      result.objects[`table ${t.name}`] = normalise((create as Record<string, string>[])[0]['Create Table']);
      const [sum] = await conn.query(`CHECKSUM TABLE \`${t.name}\` EXTENDED`);
      const [count] = await conn.query(`SELECT COUNT(*) AS n FROM \`${t.name}\``);
      result.tables[t.name] = {
        checksum: String((sum as { Checksum: string | null }[])[0].Checksum),
        rows: Number((count as { n: string }[])[0].n),
      };
    }
    const [triggers] = await conn.query('SELECT TRIGGER_NAME AS name FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?', [db]);
    for (const t of triggers as { name: string }[]) {
      const [rows] = await conn.query(`SHOW CREATE TRIGGER \`${t.name}\``);
      result.objects[`trigger ${t.name}`] = normalise((rows as Record<string, string>[])[0]['SQL Original Statement']);
    }
    const [routines] = await conn.query(
      'SELECT ROUTINE_NAME AS name, ROUTINE_TYPE AS type FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ?',
      [db],
    );
    for (const r of routines as { name: string; type: string }[]) {
      const [rows] = await conn.query(`SHOW CREATE ${r.type} \`${r.name}\``);
      const key = r.type === 'FUNCTION' ? 'Create Function' : 'Create Procedure';
      result.objects[`${r.type.toLowerCase()} ${r.name}`] = normalise((rows as Record<string, string>[])[0][key]);
    }
    const [events] = await conn.query('SELECT EVENT_NAME AS name FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ?', [db]);
    for (const e of events as { name: string }[]) {
      const [rows] = await conn.query(`SHOW CREATE EVENT \`${e.name}\``);
      result.objects[`event ${e.name}`] = normalise((rows as Record<string, string>[])[0]['Create Event']);
    }
    return result;
  });
}
