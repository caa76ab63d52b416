// MariaDB stores a column's `DEFAULT NEXTVAL(seq)` with the sequence's schema written in
// (`nextval(`db`.`seq`)`), and RENAME TABLE does not change it: a table created in the staging schema
// and moved into the shop would keep drawing its default from the staging schema's sequence, which is
// dropped at the end of the restore (every later INSERT then fails with "Table ... doesn't exist").
// After the rename, such defaults are pointed at the shop's sequence of the same name, which the swap
// has just moved in. SET DEFAULT is a metadata-only change (no table copy).
import { unquote } from './create-layout.js';
import { quoteId } from './restore-parse.js';
import { exec, quoteString, run, text, type RawConnection } from './restore-session.js';

/** Rewrites the shop's column defaults that name a sequence in one of the `away` schemas. */
export async function repointSequenceDefaults(conn: RawConnection, shop: string, away: string[]): Promise<void> {
  const rows = await run(
    conn,
    `SELECT TABLE_NAME AS tbl, COLUMN_NAME AS col, COLUMN_DEFAULT AS def
       FROM information_schema.COLUMNS
      WHERE TABLE_SCHEMA = ${quoteString(shop)} AND COLUMN_DEFAULT IS NOT NULL
        AND (${away.map((schema) => `LOCATE(${quoteString(`${quoteId(schema)}.`)}, COLUMN_DEFAULT) > 0`).join(' OR ')})
      ORDER BY TABLE_NAME, ORDINAL_POSITION`,
  );
  for (const row of rows) {
    let expression = text(row, 'def');
    for (const schema of away) expression = expression.split(`${quoteId(schema)}.`).join(`${quoteId(shop)}.`);
    await exec(conn, `ALTER TABLE ${quoteId(shop)}.${quoteId(text(row, 'tbl'))} ALTER COLUMN ${quoteId(text(row, 'col'))} SET DEFAULT ${expression}`);
  }
}

const QUALIFIED_NEXTVAL = /\bnextval\(\s*(`(?:[^`]|``)*`\.)(`(?:[^`]|``)*`)\s*\)/gi;

/**
 * mariadb-dump writes such a default as it is stored, with the source database in it. Loaded as it is,
 * the restored table would draw its numbers from the source database's sequence (when that database is on
 * the same server) or fail to be created (when it is not). Where the sequence is one the dump itself
 * created (dumps create sequences before tables), the qualifier goes: these byte ranges of the CREATE
 * TABLE statement, to be removed, make the default name the restored sequence.
 */
export function ownSequenceQualifiers(create: Buffer, sequences: ReadonlySet<string>): [number, number][] {
  const ranges: [number, number][] = [];
  const text = create.toString('latin1'); // one character per byte: offsets are byte offsets
  for (const match of text.matchAll(QUALIFIED_NEXTVAL)) {
    if (!sequences.has(unquote(match[2]))) continue;
    const start = (match.index ?? 0) + match[0].indexOf(match[1]);
    ranges.push([start, start + match[1].length]);
  }
  return ranges;
}
