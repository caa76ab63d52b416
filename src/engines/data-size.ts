// How big a shop's database is, for the free-space check before a backup: read from the server's own
// statistics (MySQL/MariaDB) or the file's size (SQLite), never by reading the data.
import { stat } from 'node:fs/promises';
import { openConnection } from './mysql/connect.js';
import type { DatabaseTarget } from './target.js';

/** The database's data size: what its compressed dump will roughly take, twice over at most. */
export async function estimateDatabase(target: DatabaseTarget): Promise<number> {
  try {
    if (target.kind === 'sqlite') return (await stat(target.path)).size;
    const connection = await openConnection(target);
    try {
      const [rows] = await connection.query('SELECT COALESCE(SUM(DATA_LENGTH), 0) AS bytes FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?', [target.database]);
      return Number((rows as { bytes: string }[])[0].bytes);
    } finally {
      await connection.end();
    }
  } catch {
    return 0; // the dump itself will report an unreachable database properly
  }
}
