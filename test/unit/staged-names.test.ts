// Which DROP ... IF EXISTS statements of a dump a replay into the (empty) staging schema leaves out.
import { describe, expect, it } from 'vitest';
import { classifyStatement } from '../../src/engines/mysql/restore-parse.js';
import { StagedNames } from '../../src/engines/mysql/staged-names.js';

/** Feeds the statements in order; returns the ones left out. */
function leftOut(statements: string[]): string[] {
  const names = new StagedNames();
  return statements.filter((sql) => {
    const text = Buffer.from(sql, 'utf8');
    return names.dropsNothing(classifyStatement(text), text);
  });
}

describe('StagedNames', () => {
  it('leaves out drops of what the replay has not made, and keeps drops of what it made', () => {
    expect(
      leftOut([
        'DROP TABLE IF EXISTS `a`',
        'CREATE TABLE `a` (id int)',
        'DROP TABLE IF EXISTS `a`',
        '/*!50001 DROP VIEW IF EXISTS `v`*/',
        'DROP TRIGGER IF EXISTS `a`',
        'CREATE TRIGGER `a` BEFORE INSERT ON `a` FOR EACH ROW SET NEW.id = 1',
        'DROP TRIGGER IF EXISTS `a`',
        'DROP PROCEDURE IF EXISTS `p`',
        'CREATE FUNCTION `p`() RETURNS INT RETURN 1',
        'DROP PROCEDURE IF EXISTS `p`',
        'DROP FUNCTION IF EXISTS `p`',
      ]),
    ).toEqual(['DROP TABLE IF EXISTS `a`', '/*!50001 DROP VIEW IF EXISTS `v`*/', 'DROP TRIGGER IF EXISTS `a`', 'DROP PROCEDURE IF EXISTS `p`', 'DROP PROCEDURE IF EXISTS `p`']);
  });

  it('keeps a drop without IF EXISTS (its error is the dump\'s), and a list naming one made table', () => {
    expect(leftOut(['DROP TABLE `x`', 'CREATE TABLE `b` (id int)', 'DROP TABLE IF EXISTS `c`, `b`'])).toEqual([]);
  });

  it('shares one namespace between tables, views and sequences', () => {
    expect(leftOut(['CREATE TABLE `v` (id int)', 'DROP VIEW IF EXISTS `v`', 'CREATE SEQUENCE `s`', 'DROP TABLE IF EXISTS `s`'])).toEqual([]);
  });

  it('runs every drop once the dump may have renamed something', () => {
    expect(leftOut(['CREATE TABLE `a` (id int)', 'RENAME TABLE `a` TO `b`', 'DROP TABLE IF EXISTS `b`'])).toEqual([]);
    expect(leftOut(['CREATE TABLE `a` (id int)', 'ALTER TABLE `a` RENAME TO `b`', 'DROP TABLE IF EXISTS `b`'])).toEqual([]);
    expect(leftOut(['CREATE TABLE `a` (id int)', 'ALTER TABLE `a` DISABLE KEYS', 'DROP TABLE IF EXISTS `b`'])).toEqual(['DROP TABLE IF EXISTS `b`']);
  });
});
