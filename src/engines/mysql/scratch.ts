// The scratch schema of a restore drill: `<db>__lb_drill_<label>` on the shop's server, covered by the
// GRANT the helper schemas need. A server lock held until it is dropped keeps drills of one database
// apart, so the drill schemas a killed drill left (and their restores' helper schemas, which share the
// prefix) can be dropped first without touching a running drill's.
import type { ScratchDatabase } from '../engine.js';
import type { MysqlTarget } from '../target.js';
import { dropHelperSchemas, helperSchemaName } from './helper-schemas.js';
import { quoteId } from './restore-parse.js';
import { exec, openRawSession, quoteString, run, text } from './restore-session.js';

export async function openMysqlScratch(target: MysqlTarget, label: string): Promise<ScratchDatabase> {
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
    return {
      target: { ...target, database },
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
