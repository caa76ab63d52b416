// `--anonymize` on MySQL/MariaDB: the server selects a fake value in place of each anonymized column, so
// the dump never holds the real one and both ways of formatting rows (dump-table.ts) work unchanged. Each
// fake value is derived from a SHA-256 of the original and a salt drawn for this dump only: the same
// original gives the same fake within the dump (an order's e-mail still matches its customer's, "John
// Smith" in a grid is the fake first name of John and last name of Smith), and without the salt, which
// is kept nowhere, a fake value cannot be checked against a guess.
import { randomBytes } from 'node:crypto';
import type { FakeKind } from '../../shared/types.js';
import { quoteIdentifier, quoteString, type ColumnInfo } from './values.js';

const FIRST_NAMES = [
  'Alex', 'Sam', 'Robin', 'Kim', 'Jordan', 'Charlie', 'Jamie', 'Morgan', 'Casey', 'Riley', 'Avery', 'Quinn', 'Taylor', 'Drew', 'Eden', 'Noa',
  'Luca', 'Mila', 'Emma', 'Noah', 'Lina', 'Finn', 'Sara', 'Tom', 'Anna', 'Ben', 'Ida', 'Max', 'Eva', 'Leo', 'Nora', 'Jan',
];
const LAST_NAMES = [
  'Smith', 'Jansen', 'Müller', 'Rossi', 'Dubois', 'García', 'Novak', 'Berg', 'Visser', 'Meyer', 'Bakker', 'Fischer', 'Moreau', 'Silva', 'Kowalski', 'Nieminen',
  'Olsen', 'Weber', 'Bianchi', 'Martin', 'Costa', 'Horvat', 'Larsen', 'Wagner', 'Laurent', 'Romero', 'Dvořák', 'Lindqvist', 'Peeters', 'Schmidt', 'Ricci', 'Byrne',
];
const STREETS = ['Main Street', 'Station Road', 'Church Lane', 'Park Avenue', 'Mill Road', 'High Street', 'Harbour Way', 'Market Square', 'Oak Lane', 'River Road', 'Garden Path', 'Hill Street'];

/** A number in [0, n) from the original value and the salt. */
function pick(salt: string, value: string, n: number): string {
  return `(CONV(LEFT(SHA2(CONCAT(${salt},${value}),256),8),16,10) % ${n})`;
}

function oneOf(salt: string, value: string, words: string[]): string {
  return `ELT(1 + ${pick(salt, value, words.length)},${words.map(quoteString).join(',')})`;
}

function hexOf(salt: string, value: string, digits: number): string {
  return `UPPER(LEFT(SHA2(CONCAT(${salt},${value}),256),${digits}))`;
}

/** The SQL of a fake value of `kind` for the column `c` (not NULL, not empty). */
function fakeExpression(kind: FakeKind, c: string, salt: string): string {
  const trimmed = `TRIM(${c})`;
  const street = `CONCAT(1 + ${pick(salt, `CONCAT('#',${c})`, 250)},' ',${oneOf(salt, c, STREETS)})`;
  switch (kind) {
    case 'email':
      // example.invalid: a copy that sends mail reaches nobody (RFC 2606).
      return `CONCAT('customer-',LOWER(${hexOf(salt, `LOWER(${trimmed})`, 12)}),'@example.invalid')`;
    case 'firstname':
      return oneOf(salt, trimmed, FIRST_NAMES);
    case 'lastname':
      return oneOf(salt, trimmed, LAST_NAMES);
    case 'name':
      // The first word as a first name, the last as a last name: the same as the separate columns give.
      return `CONCAT(${oneOf(salt, `SUBSTRING_INDEX(${trimmed},' ',1)`, FIRST_NAMES)},' ',${oneOf(salt, `SUBSTRING_INDEX(${trimmed},' ',-1)`, LAST_NAMES)})`;
    case 'street':
      return street;
    case 'address':
      return `CONCAT(${street},', ',${hexOf(salt, c, 4)},' Town')`;
    case 'phone':
      // 555-01xx: numbers set aside for fiction.
      return `CONCAT('+1 555 01',LPAD(${pick(salt, c, 100)},2,'0'))`;
    case 'ip':
      return `CONCAT('192.0.2.',1 + ${pick(salt, c, 254)})`; // TEST-NET-1 (RFC 5737)
    case 'company':
      return `CONCAT('Company ',${hexOf(salt, c, 6)})`;
    case 'id':
      return `CONCAT('X',${hexOf(salt, c, 9)})`;
    case 'date':
      return `DATE_FORMAT(DATE_ADD('1950-01-01',INTERVAL ${pick(salt, c, 18000)} DAY),'%Y-%m-%d')`;
    case 'text':
      return `CONCAT('text-',LOWER(${hexOf(salt, c, 8)}))`;
    case 'null':
      return 'NULL';
  }
}

/** A fresh salt for one dump, as a SQL string literal. */
export function newSalt(): string {
  return quoteString(randomBytes(16).toString('hex'));
}

/**
 * The table's columns with the anonymized ones standing in for fake values: selected as utf8mb4 text of
 * bounded length (NULL stays NULL and '' stays '', so a NOT NULL column keeps loading). Also returns which
 * columns were replaced.
 */
export function withFakeValues(columns: ColumnInfo[], kinds: ReadonlyMap<string, FakeKind>, salt: string): { columns: ColumnInfo[]; anonymized: string[] } {
  const anonymized: string[] = [];
  const replaced = columns.map((column) => {
    const kind = kinds.get(column.name);
    if (kind === undefined || column.generated) return column;
    anonymized.push(column.name);
    const c = quoteIdentifier(column.name);
    const value = kind === 'null' && column.nullable ? 'NULL' : `IF(${c} IS NULL OR ${c} = '',${c},${fakeExpression(kind === 'null' ? 'text' : kind, c, salt)})`;
    return { ...column, dataType: 'varchar', columnType: 'varchar(255)', charset: 'utf8mb4', maxLength: 255, value };
  });
  return { columns: replaced, anonymized };
}
