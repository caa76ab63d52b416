// Secondary indexes built after the rows instead of row by row: a restore creates an InnoDB table with
// its primary key only, loads the rows, then adds the other indexes in one ALTER TABLE, which InnoDB
// builds by sorting (a few sequential passes) instead of inserting every row into every index at a
// random place (random IO once an index outgrows the buffer pool; MariaDB 10.11 has no change buffer by
// default). Foreign keys go last, once every table has its indexes (a foreign key needs an index on
// both sides; with foreign_key_checks = 0 adding one is a metadata change).
//
// The result must be the table the dump describes, byte for byte in SHOW CREATE TABLE: all secondary
// indexes are added in one statement in the dumped order (the server sorts unique ones first, as it did
// when the table was first made), so nothing is deferred for a table where that could differ or where a
// later build could change the table: not InnoDB, partitioned, no PRIMARY KEY (InnoDB would cluster on a
// UNIQUE NOT NULL key), an AUTO_INCREMENT column that does not lead the primary key (it needs its key at
// CREATE time), generated columns, FULLTEXT/SPATIAL/hash-unique indexes, or a definition not in the
// one-clause-per-line layout SHOW CREATE TABLE prints (which Lifeboat's, mysqldump's and mariadb-dump's
// dumps use).
import { columnOf, createLayout, isGenerated } from './create-layout.js';
import { quoteId } from './restore-parse.js';

export interface DeferredKeys {
  /** The CREATE TABLE without the deferred indexes and foreign keys. */
  create: Buffer;
  /** `ALTER TABLE t ADD KEY ..., ADD UNIQUE KEY ...` in the dumped order; undefined when it has none. */
  addKeys: Buffer | undefined;
  /** `ALTER TABLE t ADD CONSTRAINT ... FOREIGN KEY ...`, or undefined when the table has none. */
  addForeignKeys: Buffer | undefined;
}

const KEY_LINE = /^ {2}(?:UNIQUE )?KEY /;
const FOREIGN_KEY_LINE = /^ {2}CONSTRAINT (?:`(?:[^`]|``)*`) FOREIGN KEY /;
const REFUSED_LINE = /^ {2}(?:FULLTEXT|SPATIAL|VECTOR) /;
const PRIMARY_LEAD = /^ {2}PRIMARY KEY \((`(?:[^`]|``)*`)/;

/**
 * Splits a CREATE TABLE (as the server prints it, create-layout.ts) into the table with its primary key
 * and the statements that add the rest; null when the table is better created as dumped (see the top).
 * `keepKeys`: the secondary indexes stay in the CREATE TABLE and only the foreign keys are split off
 * (for a table with few rows, where a build afterwards costs more than inserting into the indexes).
 */
export function deferKeys(statement: Buffer, table: string, { keepKeys = false } = {}): DeferredKeys | null {
  const layout = createLayout(statement);
  if (!layout || !/\bENGINE=InnoDB\b/i.test(layout.tail) || /\bPARTITION\b/i.test(layout.tail)) return null;
  const keep: string[] = [];
  const keys: string[] = [];
  const foreignKeys: string[] = [];
  let primaryLead: string | undefined;
  let autoIncrement: string | undefined;
  for (const line of layout.body) {
    if (REFUSED_LINE.test(line)) return null;
    if (KEY_LINE.test(line)) {
      if (/\bUSING HASH\b/i.test(line)) return null;
      if (keepKeys) keep.push(line);
      else keys.push(line.slice(2));
    } else if (FOREIGN_KEY_LINE.test(line)) {
      foreignKeys.push(line.slice(2));
    } else {
      primaryLead ??= PRIMARY_LEAD.exec(line)?.[1];
      const column = columnOf(line);
      if (column !== undefined) {
        if (isGenerated(line)) return null;
        if (/ AUTO_INCREMENT\b/.test(line)) autoIncrement = column;
      }
      keep.push(line);
    }
  }
  if (keys.length + foreignKeys.length === 0 || primaryLead === undefined) return null;
  if (autoIncrement !== undefined && autoIncrement !== primaryLead) return null;

  const create = [layout.head, keep.join(',\n'), layout.tail].join('\n');
  const alter = `ALTER TABLE ${quoteId(table)} `;
  const alterAdding = (clauses: string[]) => Buffer.concat([Buffer.from(alter, 'utf8'), Buffer.from(clauses.map((c) => `ADD ${c}`).join(', '), 'latin1')]);
  return {
    create: Buffer.from(create, 'latin1'),
    addKeys: keys.length > 0 ? alterAdding(keys) : undefined,
    addForeignKeys: foreignKeys.length > 0 ? alterAdding(foreignKeys) : undefined,
  };
}

/** `ALTER TABLE t DISABLE KEYS` / `ENABLE KEYS` (mysqldump wraps rows in them; InnoDB ignores them). */
export function isKeysToggle(statement: Buffer): boolean {
  return /^(?:\/\*!\d+ )?ALTER TABLE `(?:[^`]|``)*` (?:DISABLE|ENABLE) KEYS(?: \*\/)?$/i.test(statement.toString('latin1').trim());
}
