// The layout SHOW CREATE TABLE prints, which Lifeboat's, mysqldump's and mariadb-dump's dumps use:
//   CREATE TABLE `t` (
//     `column` definition,
//     PRIMARY KEY (...),
//     KEY ... / CONSTRAINT ...
//   ) ENGINE=... table options, partitioning
// Read as latin1, so any byte (UTF-8 names included) passes through unchanged. Tables in another layout
// are left alone by whatever reads this (deferred-keys.ts, load-data.ts).

export interface CreateLayout {
  /** `CREATE TABLE `t` (` */
  head: string;
  /** One clause per line, with its two-space indent, without the trailing comma. */
  body: string[];
  /** From the closing `)` on: engine, options, partitioning. */
  tail: string;
}

export function createLayout(statement: Buffer): CreateLayout | null {
  const text = statement.toString('latin1');
  if (text.includes('\r')) return null;
  const lines = text.split('\n');
  const head = lines[0];
  if (!/^CREATE TABLE (?:IF NOT EXISTS )?`(?:[^`]|``)*` \($/.test(head)) return null;
  const close = lines.findIndex((line, i) => i > 0 && line.startsWith(')'));
  if (close < 2) return null;
  const body = lines.slice(1, close).map((line, i, all) => (i < all.length - 1 ? line.replace(/,$/, '') : line));
  if (body.some((line) => !line.startsWith('  '))) return null;
  return { head, body, tail: lines.slice(close).join('\n') };
}

/** The column a body line defines (its name as written, backquotes and all), or undefined for a key or constraint. */
export function columnOf(line: string): string | undefined {
  return /^ {2}(`(?:[^`]|``)*`) /.exec(line)?.[1];
}

/** A generated column (VIRTUAL, STORED/PERSISTENT, or a system-versioning row start/end). */
export function isGenerated(line: string): boolean {
  return / (?:GENERATED ALWAYS )?AS \(| GENERATED ALWAYS /i.test(line);
}

/** A name written in backquotes, as read in latin1 -> the name (UTF-8). */
export function unquote(quoted: string): string {
  return Buffer.from(quoted.slice(1, -1).replace(/``/g, '`'), 'latin1').toString('utf8');
}
