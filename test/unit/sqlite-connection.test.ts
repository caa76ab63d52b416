import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSqlite, prepareOne, scalar } from '../../src/sql/sqlite.js';

describe('SQLite connections on node:sqlite', () => {
  it('refuses a text that SQLite reads as two statements instead of running only the first', () => {
    const db = openSqlite(':memory:');
    db.exec('CREATE TABLE t (a)');
    expect(() => prepareOne(db, 'INSERT INTO t VALUES (1); DROP TABLE t')).toThrow(/more than one statement \(the second starts with \[DROP TABLE t\]\)/);
    prepareOne(db, 'INSERT INTO t VALUES (2) /* a comment */ ').run();
    expect(scalar(db, 'SELECT group_concat(a) FROM t')).toBe('2');
  });

  it('does not create a database that must exist, and opens read-only ones read-only', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'lifeboat-sqlite-')), 'shop.db');
    expect(() => openSqlite(file, { mustExist: true })).toThrow(/does not exist/);
    openSqlite(file).exec('CREATE TABLE t (a)');
    const reader = openSqlite(file, { readOnly: true });
    expect(() => reader.exec('INSERT INTO t VALUES (1)')).toThrow(/readonly/);
    expect(scalar(reader, 'PRAGMA busy_timeout')).toBe(5000);
  });
});
