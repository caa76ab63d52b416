// Builds the text-heavy database: Magento tables whose bytes are mostly prose and HTML (product
// descriptions, reviews, order comments, queued e-mails, CMS pages), about 4 million rows at scale 1.
// The shop database (generate.ts) is mostly numbers, dates and short strings, where a dump compresses
// 5 to 6 times; a shop heavy with text compresses like prose, about 3 to 4 times, and there a compressor's
// level shows more (issue: Lifeboat's archive was 1.24 of mariadb-dump | gzip -6 on such a shop, 1.08 on
// the bench's shop). Deterministic, generated on the server like the shop.
import { openConnection, type Server } from '../server.js';
import { analyzedSize, freshSchema, runLane } from './generate.js';
import { textCounts, textLanes, textRows, type TextCounts } from './text-data.js';
import { poolStatements } from './text-pool.js';

export interface GeneratedText {
  database: string;
  counts: TextCounts;
  rows: number;
  seconds: number;
  dataBytes: number;
  indexBytes: number;
}

/** Creates (or re-creates) `database` holding the text-heavy data at `scale`. */
export async function generateTextShop(server: Server, database: string, scale: number): Promise<GeneratedText> {
  const started = performance.now();
  const counts = textCounts(scale);
  const admin = await openConnection(server, { multipleStatements: true });
  try {
    await freshSchema(admin, database, 'text-schema.sql');
    // Each lane builds its own sentence pool first: a TEMPORARY table, seen by its connection only.
    await Promise.all(textLanes(counts).map((lane) => runLane(server, database, [...poolStatements(), ...lane])));
    const size = await analyzedSize(admin, database);
    return { database, counts, rows: textRows(counts), seconds: (performance.now() - started) / 1000, ...size };
  } finally {
    await admin.end();
  }
}
