// Builds the benchmark shop: a deterministic, Magento-shaped MariaDB database (about 60 tables, views,
// triggers, routines, an edge-case table), generated on the server with INSERT ... SELECT over the
// SEQUENCE engine's seq_1_to_N tables. The same SQL as the team's gen-shop-db.sh, sent through mysql2.
// The data statements run on two connections at once (the big sales tables on one, the rest on the
// other): foreign key checks are off, so their order does not matter.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Connection } from 'mysql2/promise';
import { openConnection, quoteId, type Server } from '../server.js';
import { repoRoot } from '../env.js';
import { catalogStatements } from './catalog-data.js';
import { configStatements } from './config-data.js';
import { shopCounts, type ShopCounts } from './counts.js';
import { customerStatements, logStatements, salesStatements } from './sales-data.js';

/** The generating sessions' settings (the text-heavy database's generator uses them too). */
const SESSION = [
  'SET SESSION foreign_key_checks=0, unique_checks=0',
  "SET SESSION sql_mode='STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION,NO_AUTO_VALUE_ON_ZERO'",
  "SET SESSION time_zone='+00:00'",
];

/** A file of bench/sql/. */
async function sqlFile(name: string): Promise<string> {
  return readFile(path.join(repoRoot(), 'bench', 'sql', name), 'utf8');
}

/** The data statements, in gen-shop-db.sh's order, split into two lanes that can run at once. */
export function dataLanes(counts: ShopCounts): [string[], string[]] {
  return [
    [...configStatements(counts), ...catalogStatements(counts), ...customerStatements(counts), ...logStatements(counts)],
    salesStatements(counts),
  ];
}

export interface GeneratedShop {
  database: string;
  counts: ShopCounts;
  seconds: number;
  dataBytes: number;
  indexBytes: number;
}

/** Runs `statements` in order on a connection of its own, with SESSION's settings. */
export async function runLane(server: Server, database: string, statements: string[]): Promise<void> {
  const conn = await openConnection(server, { database });
  try {
    for (const sql of SESSION) await conn.query(sql);
    for (const sql of statements) await conn.query(sql);
  } finally {
    await conn.end();
  }
}

/** Creates (or re-creates) `database` holding the shop at `scale`. */
export async function generateShop(server: Server, database: string, scale: number): Promise<GeneratedShop> {
  const started = performance.now();
  const counts = shopCounts(scale);
  const admin = await openConnection(server, { multipleStatements: true });
  try {
    await freshSchema(admin, database, 'shop-schema.sql');
    await Promise.all(dataLanes(counts).map((lane) => runLane(server, database, lane)));
    await admin.query(await sqlFile('shop-edge-cases.sql'));
    await admin.query(await sqlFile('shop-objects.sql'));
    const size = await analyzedSize(admin, database);
    return { database, counts, seconds: (performance.now() - started) / 1000, ...size };
  } finally {
    await admin.end();
  }
}

/**
 * (Re-)creates `database` empty, makes it `admin`'s default with SESSION's settings, and runs the schema
 * file's CREATE statements in it (after checking the server can generate the data).
 */
export async function freshSchema(admin: Connection, database: string, schemaFile: string): Promise<void> {
  await requireSequenceEngine(admin);
  await admin.query(`DROP DATABASE IF EXISTS ${quoteId(database)}`);
  await admin.query(`CREATE DATABASE ${quoteId(database)} DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci`);
  await admin.query(`USE ${quoteId(database)}`);
  for (const sql of SESSION) await admin.query(sql);
  await admin.query(await sqlFile(schemaFile));
}

/** Throws unless the server has the SEQUENCE engine (seq_1_to_N), which the generated data comes from. */
async function requireSequenceEngine(conn: Connection): Promise<void> {
  const [seq] = await conn.query("SELECT COUNT(*) AS n FROM information_schema.engines WHERE engine = 'SEQUENCE' AND support IN ('YES', 'DEFAULT')");
  if (Number((seq as { n: number }[])[0].n) === 0) {
    throw new Error('the server has no SEQUENCE engine (MariaDB 10.0+ has it): the benchmark databases are generated with seq_1_to_N tables');
  }
}

/** ANALYZEs the database's tables (fresh statistics: information_schema's sizes come from them) and returns their data and index bytes. */
export async function analyzedSize(conn: Connection, database: string): Promise<{ dataBytes: number; indexBytes: number }> {
  const [tables] = await conn.query("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = ? AND table_type = 'BASE TABLE'", [database]);
  const names = (tables as { name: string }[]).map((t) => `${quoteId(database)}.${quoteId(t.name)}`);
  await conn.query(`ANALYZE TABLE ${names.join(', ')}`);
  const [size] = await conn.query(
    "SELECT SUM(data_length) AS data, SUM(index_length) AS idx FROM information_schema.tables WHERE table_schema = ? AND table_type = 'BASE TABLE'",
    [database],
  );
  const row = (size as { data: string; idx: string }[])[0];
  return { dataBytes: Number(row.data), indexBytes: Number(row.idx) };
}
