// The dump reads every table's columns once at its start and, per table, checks them against the
// SHOW CREATE TABLE it reads under the table's lock (column-check.ts). These tests alter a real table
// in every way that changes how its rows are dumped and expect the check to notice; changes that do
// not matter to the dump, and text that merely looks like a clause, must not make it refetch.
import { afterAll, describe, expect, it } from 'vitest';
import { columnsMatchDefinition } from '../../src/engines/mysql/column-check.js';
import { listColumns, showCreateTable } from '../../src/engines/mysql/schema-catalog.js';
import { schemaRegistry, withConnection } from '../helpers/mysql.js';

const schemas = schemaRegistry();
afterAll(() => schemas.dropAll());

const BASE =
  'CREATE TABLE t (id INT NOT NULL, code VARCHAR(20) NOT NULL, note TEXT, price DECIMAL(10,2), ' +
  'doubled INT GENERATED ALWAYS AS (id * 2) VIRTUAL, ts TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, ' +
  "label ENUM('a','b') CHARACTER SET latin1, PRIMARY KEY (id)) DEFAULT CHARSET=utf8mb4 COMMENT 'NOT NULL ON UPDATE'";

/** Creates the base table, reads its columns, applies `alter`, and checks the old columns against the new definition. */
async function checkAfter(alter: string): Promise<boolean> {
  const target = await schemas.create('colcheck');
  return withConnection(target, async (conn) => {
    await conn.query("SET SESSION sql_mode = '', SESSION sql_quote_show_create = 1");
    await conn.query(BASE);
    const before = (await listColumns(conn, target.database)).get('t') ?? [];
    expect(before.map((c) => c.name)).toEqual(['id', 'code', 'note', 'price', 'doubled', 'ts', 'label']);
    if (alter !== '') await conn.query(`ALTER TABLE t ${alter}`);
    return columnsMatchDefinition(before, await showCreateTable(conn, 't'));
  });
}

describe('columnsMatchDefinition', () => {
  it('accepts an unchanged table and changes that do not alter how rows are dumped', async () => {
    expect(await checkAfter('')).toBe(true);
    expect(await checkAfter('ADD KEY (code)')).toBe(true);
    expect(await checkAfter("MODIFY note TEXT COMMENT 'GENERATED ALWAYS AS (x) NOT NULL ON UPDATE CHARACTER SET sjis'")).toBe(true);
    expect(await checkAfter("MODIFY code VARCHAR(20) NOT NULL DEFAULT ' NOT NULL'")).toBe(true);
    // The columns keep their character set (SHOW CREATE then names it on each column).
    expect(await checkAfter('DEFAULT CHARSET=latin1')).toBe(true);
    expect(await checkAfter('ENGINE=MyISAM')).toBe(true);
  });

  it.each([
    ['a column added', 'ADD COLUMN extra INT'],
    ['a column dropped', 'DROP COLUMN note'],
    ['a column renamed', 'CHANGE note remark TEXT'],
    ['columns reordered', 'MODIFY note TEXT AFTER id'],
    ['a longer VARCHAR', 'MODIFY code VARCHAR(21) NOT NULL'],
    ['another DECIMAL', 'MODIFY price DECIMAL(12,2)'],
    ['an integer become text', 'MODIFY price VARCHAR(12)'],
    ['another character set', 'MODIFY note TEXT CHARACTER SET sjis'],
    ['every column converted', 'CONVERT TO CHARACTER SET latin1'],
    ['ENUM in the table default charset', "MODIFY label ENUM('a','b')"],
    ['NOT NULL dropped', 'MODIFY code VARCHAR(20) NULL'],
    ['NOT NULL added', 'MODIFY note TEXT NOT NULL'],
    ['another primary key', 'DROP PRIMARY KEY, ADD PRIMARY KEY (id, code)'],
    ['no primary key', 'DROP PRIMARY KEY'],
    ['a generated column become stored data', 'DROP COLUMN doubled, ADD COLUMN doubled INT AFTER price'],
    ['a column become generated', 'DROP COLUMN price, ADD COLUMN price DECIMAL(10,2) AS (id * 1.5) VIRTUAL AFTER note'],
    ['ON UPDATE added', 'MODIFY ts TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP'],
  ])('notices %s', async (_, alter) => {
    expect(await checkAfter(alter)).toBe(false);
  });
});
