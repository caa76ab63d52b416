// "The restored data equals the source": exact row counts and CHECKSUM TABLE ... EXTENDED of every base
// table, plus the names of views, triggers, routines and events (as the team's db-manifest.sh). When a
// table's checksum differs, per-column digests name the columns that differ, so that a known loss of a
// standard tool (mysqldump prints FLOAT with 6 significant digits) can be told from a real mismatch.
import type mysql from 'mysql2/promise';
import { openConnection, quoteId, type Server } from '../server.js';

export interface TableState {
  rows: number;
  checksum: string;
}

export interface DbManifest {
  tables: Map<string, TableState>;
  /** "view v", "trigger t on tbl", "FUNCTION f" ... sorted. */
  objects: string[];
}

export interface Comparison {
  ok: boolean;
  /** One line per difference. */
  differences: string[];
  /** Every difference is in FLOAT columns only (what mysqldump and mydumper are known to round). */
  floatOnly: boolean;
  /** "table.column" of the FLOAT columns that differ. */
  floatColumns: string[];
}

async function rows<T>(conn: mysql.Connection, sql: string, params: unknown[] = []): Promise<T[]> {
  const [result] = await conn.query(sql, params);
  return result as T[];
}

export async function dbManifest(server: Server, database: string): Promise<DbManifest> {
  const conn = await openConnection(server);
  try {
    const names = (
      await rows<{ name: string }>(
        conn,
        "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = ? AND table_type = 'BASE TABLE' ORDER BY table_name",
        [database],
      )
    ).map((r) => r.name);
    const tables = new Map<string, TableState>();
    if (names.length > 0) {
      const db = quoteId(database);
      const counts = await rows<{ t: string; n: string }>(
        conn,
        names.map((t) => `SELECT ${conn.escape(t)} AS t, COUNT(*) AS n FROM ${db}.${quoteId(t)}`).join(' UNION ALL '),
      );
      const sums = await rows<{ Table: string; Checksum: string | null }>(conn, `CHECKSUM TABLE ${names.map((t) => `${db}.${quoteId(t)}`).join(', ')} EXTENDED`);
      const checksum = new Map(sums.map((s) => [s.Table.slice(database.length + 1), String(s.Checksum)]));
      for (const c of counts) tables.set(c.t, { rows: Number(c.n), checksum: checksum.get(c.t) ?? 'none' });
    }
    const objects = [
      ...(await rows<{ n: string }>(conn, 'SELECT table_name AS n FROM information_schema.views WHERE table_schema = ?', [database])).map((r) => `view ${r.n}`),
      ...(
        await rows<{ n: string; t: string }>(conn, 'SELECT trigger_name AS n, event_object_table AS t FROM information_schema.triggers WHERE trigger_schema = ?', [database])
      ).map((r) => `trigger ${r.n} on ${r.t}`),
      ...(await rows<{ k: string; n: string }>(conn, 'SELECT routine_type AS k, routine_name AS n FROM information_schema.routines WHERE routine_schema = ?', [database])).map(
        (r) => `${r.k} ${r.n}`,
      ),
      ...(await rows<{ n: string }>(conn, 'SELECT event_name AS n FROM information_schema.events WHERE event_schema = ?', [database])).map((r) => `event ${r.n}`),
    ].sort();
    return { tables, objects };
  } finally {
    await conn.end();
  }
}

interface ColumnDef {
  name: string;
  type: string;
}

/** An order-independent 64-bit digest per column, each value bound to its row's primary key. */
async function columnDigests(conn: mysql.Connection, database: string, table: string): Promise<{ columns: ColumnDef[]; digests: string[] }> {
  const columns = await rows<ColumnDef>(
    conn,
    'SELECT column_name AS name, data_type AS type FROM information_schema.columns WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position',
    [database, table],
  );
  const pk = (
    await rows<{ name: string }>(
      conn,
      "SELECT column_name AS name FROM information_schema.statistics WHERE table_schema = ? AND table_name = ? AND index_name = 'PRIMARY' ORDER BY seq_in_index",
      [database, table],
    )
  ).map((r) => `HEX(${quoteId(r.name)})`);
  const key = pk.length > 0 ? pk.join(",'|',") : "''";
  const value = (c: ColumnDef) => {
    const id = quoteId(c.name);
    // FLOAT as a DOUBLE shows the digits mysqldump rounds away; HEX covers everything else exactly.
    return c.type === 'float' || c.type === 'double' ? `CONCAT(CAST(${id} AS DOUBLE))` : `HEX(${id})`;
  };
  const parts = columns.map(
    (c) => `BIT_XOR(CAST(CONV(LEFT(MD5(CONCAT(${key},'=',COALESCE(${value(c)},'<NULL>'))),16),16,10) AS UNSIGNED))`,
  );
  const [result] = await conn.query({ sql: `SELECT ${parts.join(', ')} FROM ${quoteId(database)}.${quoteId(table)}`, rowsAsArray: true });
  return { columns, digests: ((result as unknown[][])[0] ?? []).map(String) };
}

/** Compares a restored database with the source's manifest; names the differing columns of a table. */
export async function compareDatabases(server: Server, sourceDb: string, source: DbManifest, restoredDb: string): Promise<Comparison> {
  const restored = await dbManifest(server, restoredDb);
  const differences: string[] = [];
  let floatOnly = true;
  const floatColumns: string[] = [];
  const conn = await openConnection(server);
  try {
    for (const [name, want] of source.tables) {
      const got = restored.tables.get(name);
      if (!got) {
        differences.push(`table ${name} is missing`);
        floatOnly = false;
      } else if (got.rows !== want.rows) {
        differences.push(`table ${name}: ${got.rows} rows instead of ${want.rows}`);
        floatOnly = false;
      } else if (got.checksum !== want.checksum) {
        const a = await columnDigests(conn, sourceDb, name);
        const b = await columnDigests(conn, restoredDb, name);
        const differing = a.columns.filter((c, i) => b.columns[i]?.name !== c.name || b.digests[i] !== a.digests[i]);
        if (differing.length === 0 || differing.some((c) => c.type !== 'float')) floatOnly = false;
        floatColumns.push(...differing.filter((c) => c.type === 'float').map((c) => `${name}.${c.name}`));
        const what = differing.length ? differing.map((c) => `${c.name} (${c.type})`).join(', ') : 'table definition';
        differences.push(`table ${name}: checksum differs in ${what}`);
      }
    }
    for (const name of restored.tables.keys()) {
      if (!source.tables.has(name)) {
        differences.push(`extra table ${name}`);
        floatOnly = false;
      }
    }
  } finally {
    await conn.end();
  }
  const want = new Set(source.objects);
  const got = new Set(restored.objects);
  for (const o of source.objects) if (!got.has(o)) differences.push(`${o} is missing`);
  for (const o of restored.objects) if (!want.has(o)) differences.push(`extra ${o}`);
  if (source.objects.some((o) => !got.has(o)) || restored.objects.some((o) => !want.has(o))) floatOnly = false;
  return { ok: differences.length === 0, differences, floatOnly: differences.length > 0 && floatOnly, floatColumns };
}
