// InnoDB keeps a foreign key pointing at the same table *object* when that table is renamed, even into
// another schema (checked: after `RENAME TABLE shop.p TO prev.p`, a constraint of shop.c that referenced
// shop.p references prev.p). A full swap moves every table, so constraints among them stay inside the
// shop. When only some tables are swapped, constraints of tables that stay behind follow the old tables
// to the prev schema, and constraints of the new tables may name the staging schema. This module points
// such constraints back at the shop's table of the same name (DROP then ADD: MariaDB refuses to drop and
// add a constraint of the same name in one ALTER, error 1826; with foreign_key_checks=0 both are in-place
// metadata changes, no table copy).
import { quoteId } from './restore-parse.js';
import { exec, quoteString, run, text, type RawConnection } from './restore-session.js';

interface ForeignKey {
  table: string;
  name: string;
  refTable: string;
}

/**
 * The constraint's clause from SHOW CREATE TABLE, with its reference rewritten to `shop`.`refTable`:
 * copying the server's own text keeps ON DELETE/ON UPDATE exactly (information_schema reports the
 * default as RESTRICT, but an explicit RESTRICT is stored and shown differently).
 */
function constraintClause(createTable: string, fk: ForeignKey, shop: string): string | null {
  const id = '`(?:[^`]|``)+`';
  const re = new RegExp(`^\\s*CONSTRAINT (${id}) FOREIGN KEY (\\((?:${id}(?:, ?)?)+\\)) REFERENCES (?:${id}\\.)?${id} (\\((?:${id}(?:, ?)?)+\\))(.*?),?$`);
  for (const line of createTable.split('\n')) {
    const m = re.exec(line);
    if (!m || m[1] !== quoteId(fk.name)) continue;
    return `ADD CONSTRAINT ${m[1]} FOREIGN KEY ${m[2]} REFERENCES ${quoteId(shop)}.${quoteId(fk.refTable)} ${m[3]}${m[4]}`;
  }
  return null;
}

/**
 * Points the shop's constraints that reference a table in `away` schemas (staging, prev) at the shop
 * table of the same name. Returns warnings for constraints whose table does not exist in the shop.
 */
export async function repointForeignKeys(conn: RawConnection, shop: string, away: string[]): Promise<string[]> {
  const warnings: string[] = [];
  const awayList = away.map(quoteString).join(', ');
  const rows = await run(
    conn,
    `SELECT DISTINCT TABLE_NAME AS tbl, CONSTRAINT_NAME AS name, REFERENCED_TABLE_NAME AS rtbl
       FROM information_schema.KEY_COLUMN_USAGE
      WHERE TABLE_SCHEMA = ${quoteString(shop)} AND REFERENCED_TABLE_SCHEMA IN (${awayList})
      ORDER BY TABLE_NAME, CONSTRAINT_NAME`,
  );
  if (rows.length === 0) return warnings;
  const keys: ForeignKey[] = rows.map((row) => ({ table: text(row, 'tbl'), name: text(row, 'name'), refTable: text(row, 'rtbl') }));
  const existing = new Set(
    (await run(conn, `SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ${quoteString(shop)}`)).map((r) => text(r, 't')),
  );
  await exec(conn, 'SET SESSION foreign_key_checks = 0');
  try {
    for (const fk of keys) {
      if (!existing.has(fk.refTable)) {
        warnings.push(`foreign key ${quoteId(fk.table)}.${quoteId(fk.name)} references table ${quoteId(fk.refTable)}, which is not in the database`);
        continue;
      }
      const table = `${quoteId(shop)}.${quoteId(fk.table)}`;
      const [create] = await run(conn, `SHOW CREATE TABLE ${table}`);
      const clause = constraintClause(text(create ?? {}, 'Create Table'), fk, shop);
      if (!clause) throw new Error(`cannot read foreign key ${quoteId(fk.name)} of table ${quoteId(fk.table)}`);
      await exec(conn, `ALTER TABLE ${table} DROP FOREIGN KEY ${quoteId(fk.name)}`);
      await exec(conn, `ALTER TABLE ${table} ${clause}`);
    }
  } finally {
    await exec(conn, 'SET SESSION foreign_key_checks = 1');
  }
  return warnings;
}
