// The scratch schema of a restore drill: `<db>__lb_drill_<label>` on the shop's server, covered by the
// GRANT the helper schemas need. A server lock held until it is dropped keeps drills of one database
// apart, so the drill schemas a killed drill left (and their restores' helper schemas, which share the
// prefix) can be dropped first without touching a running drill's. Its sessions keep out of the binary log
// where the user may (MysqlTarget.unlogged): replicas need no copy of a drill; where the user may not,
// the drill says so, as replicas then load and drop the copy too.
import type { ScratchDatabase } from '../engine.js';
import type { MysqlTarget } from '../target.js';
import { dropHelperSchemas, helperSchemaName } from './helper-schemas.js';
import { quoteId } from './restore-parse.js';
import { exec, openRawSession, quoteString, run, text } from './restore-session.js';

const REPLICATED =
  "the drill's copy goes into the binary log, so replicas load and drop it too; to keep drills out of it, GRANT BINLOG ADMIN ON *.* (MySQL 8: SESSION_VARIABLES_ADMIN) to the shop's database user";

export async function openMysqlScratch(shop: MysqlTarget, label: string): Promise<ScratchDatabase> {
  const target: MysqlTarget = { ...shop, unlogged: true };
  const admin = await openRawSession(target);
  const lockName = `lifeboat-drill:${target.database}`.slice(0, 64);
  let ready = false;
  try {
    const [lock] = await run(admin, `SELECT GET_LOCK(${quoteString(lockName)}, 0) AS l`);
    if (Number(lock?.l) !== 1) throw new Error(`another restore drill of database ${quoteId(target.database)} is running; run this one when it has ended`);
    const prefix = helperSchemaName(target.database, 'drill', '');
    const like = prefix.replace(/[\\_%]/g, (c) => '\\' + c) + '%';
    const left = await run(admin, `SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ${quoteString(like)}`);
    await dropHelperSchemas(admin, left.map((row) => text(row, 'name')));
    const database = helperSchemaName(target.database, 'drill', label);
    await exec(admin, `CREATE DATABASE ${quoteId(database)}`);
    ready = true;
    const [logging] = await run(admin, 'SELECT @@GLOBAL.log_bin AS logBin, @@SESSION.sql_log_bin AS logged');
    return {
      target: { ...target, database },
      ...(Number(logging?.logBin) === 1 && Number(logging?.logged) === 1 ? { replicated: REPLICATED } : {}),
      drop: async () => {
        try {
          await dropHelperSchemas(admin, [database]);
        } finally {
          await admin.end().catch(() => undefined);
        }
      },
    };
  } finally {
    if (!ready) await admin.end().catch(() => undefined);
  }
}
