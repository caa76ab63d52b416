// The dump's text around the data, in the mysqldump style that the stock client loads: header and
// trailer, table and sequence structure, and the blocks that create views, triggers, routines and events
// each in the session (sql_mode, character set, time zone) they were defined in.
import type { ObjectDefinition, SequenceInfo } from './schema-catalog.js';
import { escapeStringLiteral, quoteIdentifier } from './values.js';

export interface HeaderInfo {
  database: string;
  serverVersion: string;
  startedAt: Date;
}

export function dumpHeader(info: HeaderInfo): string {
  return [
    `-- Lifeboat SQL dump`,
    `-- Database: ${oneLine(info.database)}    Server version: ${oneLine(info.serverVersion)}`,
    `-- Snapshot taken: ${info.startedAt.toISOString()}`,
    `-- Loads into whatever database the client has selected (no CREATE DATABASE / USE).`,
    `-- ------------------------------------------------------`,
    '',
    '/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;',
    '/*!40101 SET @OLD_CHARACTER_SET_RESULTS=@@CHARACTER_SET_RESULTS */;',
    '/*!40101 SET @OLD_COLLATION_CONNECTION=@@COLLATION_CONNECTION */;',
    '/*!40101 SET NAMES utf8mb4 */;',
    '/*!40103 SET @OLD_TIME_ZONE=@@TIME_ZONE */;',
    "/*!40103 SET TIME_ZONE='+00:00' */;",
    '/*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */;',
    '/*!40014 SET @OLD_FOREIGN_KEY_CHECKS=@@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS=0 */;',
    "/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;",
    '/*!40111 SET @OLD_SQL_NOTES=@@SQL_NOTES, SQL_NOTES=0 */;',
    '',
  ].join('\n');
}

export function dumpTrailer(finishedAt: Date): string {
  return [
    '',
    '/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;',
    '/*!40101 SET SQL_MODE=@OLD_SQL_MODE */;',
    '/*!40014 SET FOREIGN_KEY_CHECKS=@OLD_FOREIGN_KEY_CHECKS */;',
    '/*!40014 SET UNIQUE_CHECKS=@OLD_UNIQUE_CHECKS */;',
    '/*!40101 SET CHARACTER_SET_CLIENT=@OLD_CHARACTER_SET_CLIENT */;',
    '/*!40101 SET CHARACTER_SET_RESULTS=@OLD_CHARACTER_SET_RESULTS */;',
    '/*!40101 SET COLLATION_CONNECTION=@OLD_COLLATION_CONNECTION */;',
    '/*!40111 SET SQL_NOTES=@OLD_SQL_NOTES */;',
    '',
    `-- Dump completed on ${finishedAt.toISOString()}`,
    '',
  ].join('\n');
}

function oneLine(value: string): string {
  return value.replace(/[\r\n]+/g, ' ');
}

function section(title: string): string {
  return `\n--\n-- ${oneLine(title)}\n--\n\n`;
}

export function tableStructure(table: string, createStatement: string): string {
  return `${section(`Table structure for table ${quoteIdentifier(table)}`)}DROP TABLE IF EXISTS ${quoteIdentifier(table)};\n${createStatement};\n`;
}

/** Puts REF_SYSTEM_ID=n back on geometry columns of a CREATE TABLE that does not show it. */
export function withGeometrySrids(createStatement: string, srids: Map<string, number> | undefined): string {
  if (!srids) return createStatement;
  let result = createStatement;
  for (const [column, srid] of srids) {
    const quoted = quoteIdentifier(column).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const line = new RegExp(`^(  ${quoted} [a-z]+)(?! REF_SYSTEM_ID)`, 'm');
    result = result.replace(line, `$1 REF_SYSTEM_ID=${Math.trunc(srid)}`);
  }
  return result;
}

export function tableDataHeading(table: string): string {
  return section(`Dumping data for table ${quoteIdentifier(table)}`);
}

export function sequenceStructure(sequence: SequenceInfo): string {
  const name = quoteIdentifier(sequence.name);
  const round = sequence.cycleCount !== '' && sequence.cycleCount !== '0' ? `, ${sequence.cycleCount}` : '';
  return (
    `${section(`Sequence structure for ${name}`)}DROP SEQUENCE IF EXISTS ${name};\n${sequence.createStatement};\n` +
    // The value the next NEXTVAL returns; DO discards the result, unlike SELECT.
    `DO SETVAL(${name}, ${sequence.nextValue}, 0${round});\n`
  );
}

/**
 * Placeholder views with the final views' column names, so that views (on views) and anything else can
 * refer to them before the final definitions are created (mysqldump's approach).
 */
export function viewPlaceholder(view: string, columns: string[]): string {
  const name = quoteIdentifier(view);
  const select = columns.map((c) => ` 1 AS ${quoteIdentifier(c)}`).join(',\n');
  return (
    // No /*!50001 ... */ wrapper (mysqldump's): a name containing */ would end it early.
    `${section(`Temporary view structure for view ${name}`)}DROP TABLE IF EXISTS ${name};\nDROP VIEW IF EXISTS ${name};\n` +
    `CREATE VIEW ${name} AS SELECT\n${select};\n`
  );
}

// A user or host part: `quoted`, "quoted" (ANSI_QUOTES), 'quoted', or bare.
const NAME_PART = "(?:`(?:[^`]|``)*`|\"(?:[^\"]|\"\")*\"|'(?:[^'\\\\]|\\\\.|'')*'|[\\w.%:$-]+)";
const DEFINER = new RegExp(
  `^(\\s*CREATE\\s+(?:OR\\s+REPLACE\\s+)?(?:ALGORITHM\\s*=\\s*\\w+\\s+)?)DEFINER\\s*=\\s*(?:CURRENT_USER(?:\\s*\\(\\s*\\))?|${NAME_PART}(?:\\s*@\\s*${NAME_PART})?)\\s+`,
  'i',
);

/** Removes the DEFINER clause at the start of a CREATE statement (never anything in the body). */
export function stripDefiner(statement: string): string {
  return statement.replace(DEFINER, '$1');
}

/**
 * Things in an object's text that the stock client would change before sending it: comments (dropped
 * by default), CR (dropped before LF), backslashes outside strings (client commands). Returns true when
 * the text is safe to send as is inside a DELIMITER block.
 */
export function clientSafe(statement: string): boolean {
  let quote: string | null = null;
  for (let i = 0; i < statement.length; i++) {
    const ch = statement[i];
    if (ch === '\r' || ch === '\0') return false;
    if (quote !== null) {
      if (ch === '\\' && quote !== '`') i++;
      else if (ch === quote) {
        if (statement[i + 1] === quote) i++;
        else quote = null;
      }
      continue;
    }
    if (ch === "'" || ch === '"' || ch === '`') quote = ch;
    else if (ch === '#' || ch === '\\') return false;
    else if (ch === '/' && statement[i + 1] === '*') return false;
    else if (ch === '-' && statement[i + 1] === '-' && /[\s]|^$/.test(statement[i + 2] ?? '')) return false;
  }
  return true;
}

/** A DELIMITER that does not occur anywhere in the statement (so no parser can cut it short). */
export function chooseDelimiter(statement: string): string {
  for (const candidate of [';;', '$$', '//', ';;;', '$$$', '@@@', '%%%%']) {
    if (!statement.includes(candidate)) return candidate;
  }
  let candidate = '$$';
  while (statement.includes(candidate)) candidate += '$';
  return candidate;
}

export interface ObjectBlock {
  /** Text before the statement (always ASCII/utf8mb4). */
  before: string;
  /** The statement, in the object's character_set_client, with its terminator. */
  statement: Buffer;
  after: string;
}

function sessionEnter(def: ObjectDefinition): string {
  const lines = [
    '/*!50003 SET @saved_cs_client      = @@character_set_client */ ;',
    '/*!50003 SET @saved_cs_results     = @@character_set_results */ ;',
    '/*!50003 SET @saved_col_connection = @@collation_connection */ ;',
    `/*!50003 SET character_set_client  = ${identifierWord(def.characterSetClient)} */ ;`,
    `/*!50003 SET character_set_results = ${identifierWord(def.characterSetClient)} */ ;`,
    `/*!50003 SET collation_connection  = ${identifierWord(def.collationConnection)} */ ;`,
  ];
  if (def.sqlMode !== undefined) {
    lines.push('/*!50003 SET @saved_sql_mode       = @@sql_mode */ ;');
    lines.push(`/*!50003 SET sql_mode              = '${def.sqlMode.replace(/[^A-Z0-9_,]/gi, '')}' */ ;`);
  }
  if (def.timeZone !== undefined) {
    lines.push('/*!50003 SET @saved_time_zone      = @@time_zone */ ;');
    lines.push(`/*!50003 SET time_zone             = '${def.timeZone.replace(/[^A-Za-z0-9_/+:-]/g, '')}' */ ;`);
  }
  return lines.join('\n') + '\n';
}

function sessionLeave(def: ObjectDefinition): string {
  const lines: string[] = [];
  if (def.timeZone !== undefined) lines.push('/*!50003 SET time_zone             = @saved_time_zone */ ;');
  if (def.sqlMode !== undefined) lines.push('/*!50003 SET sql_mode              = @saved_sql_mode */ ;');
  lines.push('/*!50003 SET character_set_client  = @saved_cs_client */ ;');
  lines.push('/*!50003 SET character_set_results = @saved_cs_results */ ;');
  lines.push('/*!50003 SET collation_connection  = @saved_col_connection */ ;');
  return lines.join('\n') + '\n';
}

function identifierWord(value: string): string {
  return value.replace(/[^A-Za-z0-9_]/g, '') || 'utf8mb4';
}

const DROP: Record<ObjectDefinition['kind'], string> = {
  trigger: 'TRIGGER',
  function: 'FUNCTION',
  procedure: 'PROCEDURE',
  event: 'EVENT',
  view: 'VIEW',
};

/**
 * A trigger, routine, event or view, created in its own session settings. Compound statements go in a
 * DELIMITER block as mysqldump writes them; when the stock client would alter the text (comments, CR),
 * and the server is MariaDB, the statement travels as a string through EXECUTE IMMEDIATE instead, which
 * the client passes untouched. `encoded` is the statement in the object's character_set_client.
 */
export function objectBlock(def: ObjectDefinition, encoded: Buffer, statementText: string, options: { executeImmediate: boolean }): ObjectBlock {
  const label = def.kind === 'view' ? `Final view structure for view` : `${def.kind[0].toUpperCase()}${def.kind.slice(1)}`;
  const name = quoteIdentifier(def.name);
  let before = section(`${label} ${name}${def.table ? ` on table ${quoteIdentifier(def.table)}` : ''}`);
  before += `DROP ${DROP[def.kind]} IF EXISTS ${name};\n`;
  before += sessionEnter(def);
  if (def.kind === 'view') {
    // A view is one plain statement whose text SHOW CREATE VIEW has normalised: no delimiter needed.
    return { before, statement: Buffer.concat([encoded, Buffer.from(';\n')]), after: sessionLeave(def) };
  }
  if (options.executeImmediate && !clientSafe(statementText)) {
    return {
      before,
      statement: Buffer.concat([Buffer.from('EXECUTE IMMEDIATE '), escapeStringLiteral(encoded), Buffer.from(';\n')]),
      after: sessionLeave(def),
    };
  }
  const delimiter = chooseDelimiter(statementText);
  // After a trailing line comment (MySQL path only) the delimiter needs a line of its own.
  const terminator = clientSafe(statementText) ? `${delimiter}\n` : `\n${delimiter}\n`;
  return {
    before: `${before}DELIMITER ${delimiter}\n`,
    statement: Buffer.concat([encoded, Buffer.from(terminator)]),
    after: `DELIMITER ;\n${sessionLeave(def)}`,
  };
}

/**
 * Views in an order that creates every view after the views it selects from (views on views), found
 * from the quoted names in their definitions. Cycles (only possible through false matches) keep name
 * order; the placeholders written before make any order loadable anyway.
 */
export function orderViews<T extends { name: string; createStatement: string }>(views: T[]): T[] {
  const names = new Set(views.map((v) => v.name));
  const dependsOn = new Map<string, Set<string>>();
  for (const view of views) {
    const marker = ` VIEW ${quoteIdentifier(view.name)} AS `;
    const at = view.createStatement.indexOf(marker);
    const body = at >= 0 ? view.createStatement.slice(at + marker.length) : view.createStatement;
    const deps = new Set<string>();
    for (const match of body.matchAll(/`((?:[^`]|``)+)`/g)) {
      const name = match[1].replace(/``/g, '`');
      if (name !== view.name && names.has(name)) deps.add(name);
    }
    dependsOn.set(view.name, deps);
  }
  const ordered: T[] = [];
  const done = new Set<string>();
  let remaining = [...views].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  while (remaining.length > 0) {
    const ready = remaining.filter((v) => [...(dependsOn.get(v.name) ?? [])].every((d) => done.has(d)));
    const batch = ready.length > 0 ? ready : [remaining[0]];
    for (const view of batch) {
      ordered.push(view);
      done.add(view.name);
    }
    remaining = remaining.filter((v) => !done.has(v.name));
  }
  return ordered;
}
