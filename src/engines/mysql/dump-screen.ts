// A dump Lifeboat did not make (a mysqldump, mariadb-dump or Magento file dropped into the backup folder,
// or the dump inside a foreign .tgz) is screened statement by statement: the restore refuses, with the
// shop unchanged, the first statement that reaches outside the shop's database or the server's files
// (reach-scan.ts says what that is, and how a schema's name is told from a table's). A whole restore
// screens the dump once before it writes anything (screenDump, when the dump can be read twice), and
// every restore screens each statement again right before it runs (the file has no checksum: it may have
// changed in between). Lifeboat's own dumps, vouched for by a manifest bound to their archive, are not
// screened: they hold the shop's own code, whose bodies may name other schemas, and roll back as they are.
//
// A statement is read as the server will read it: where a backslash escapes depends on the session's
// sql_mode (NO_BACKSLASH_ESCAPES, ANSI_QUOTES), which the dump's SET statements change. The screen follows
// them (session-reading.ts); where the mode cannot be told before the statements run (a value computed by
// the server), each statement is read in every way the server could read it, and refused if any finds
// something. A client character set whose bytes cannot be read that way (gbk, sjis, ...) is refused.
import { splitStatements, type SqlStatement } from '../../sql/splitter.js';
import { RestoreRefusedError, type ProgressListener } from '../engine.js';
import { scanForReach, type OutsideReach, type ScanContext } from './reach-scan.js';
import { classifyStatement, preview, quoteId, type ObjectRef, type StatementInfo } from './restore-parse.js';
import { refusal } from './restore-preflight.js';
import { SessionReading } from './session-reading.js';

/** What a dump may call its own, as far as the statements before tell. */
export interface DumpNames {
  /** The database the dump was made from, when it says (USE / CREATE DATABASE). */
  source: string | undefined;
  /** The sequences it created. */
  sequences: ReadonlySet<string>;
}

/** Statements the restore does not run (it learns the dumped database's name from them). */
const NOT_RUN = new Set(['use', 'create-database', 'drop-database']);

const ADVICE = 'remove that statement from the dump, or restore the dump by hand if you trust it';

/** Screens the statements of one dump, in order (see the top). */
export class DumpScreen {
  private readonly reading: SessionReading;

  /** `sqlMode`: the restore's sessions' sql_mode before the dump's first statement. */
  constructor(
    private readonly shop: string,
    sqlMode: string,
  ) {
    this.reading = new SessionReading(sqlMode);
  }

  /** Throws the refusal when `statement` reaches outside the shop's database; follows how the server reads the next. */
  check(statement: SqlStatement, info: StatementInfo, names: DumpNames): void {
    const reach = this.find(statement.text, info, names);
    if (reach) throw outsideReachRefusal(this.shop, statement, reach);
    if (info.kind !== 'set') return;
    this.reading.follow(statement.text);
    const charset = this.reading.unreadableCharset();
    if (charset) throw outsideReachRefusal(this.shop, statement, `switches to a client character set in which its statements cannot be checked (${charset})`);
  }

  /**
   * Throws the refusal when the objects the statement's head names are in another schema: an INSERT's
   * head, checked before the restore rewrites it, while its values wait to be checked as sent (check).
   */
  checkHead(statement: SqlStatement, info: StatementInfo, names: DumpNames): void {
    const reach = this.headReach(statement.text, info, names);
    if (reach) throw outsideReachRefusal(this.shop, statement, reach);
  }

  private find(text: Buffer, info: StatementInfo, names: DumpNames): OutsideReach | undefined {
    if (NOT_RUN.has(info.kind)) return undefined;
    const context = this.contextOf(info, names);
    for (const escapes of this.reading.readings()) {
      const reach = scanForReach(text, context, escapes);
      if (reach) return reach;
    }
    return this.headReach(text, info, names) ?? kindReach(text, info);
  }

  private contextOf(info: StatementInfo, names: DumpNames): ScanContext {
    const own = [this.shop, names.source];
    const removed = headRefs(info).flatMap((ref) => (ref.qualifier && own.includes(ref.schema) ? [ref.qualifier[0]] : []));
    const creates = info.kind === 'create-table';
    return {
      shop: this.shop,
      removedQualifiers: new Set(removed),
      ownSequences: creates ? names.sequences : new Set(),
      ...(creates && info.objects[0] ? { createdNameEnd: info.objects[0].range[1] } : {}),
      checkDatabaseNames: info.kind !== 'alter-database',
    };
  }

  /**
   * The objects a statement's head names, with a schema other than the shop's or the dumped one (the
   * restore takes those two off): `CREATE TRIGGER t ... ON other.t`, `ALTER DATABASE other`.
   */
  private headReach(text: Buffer, info: StatementInfo, names: DumpNames): OutsideReach | undefined {
    const own = (schema: string) => schema === this.shop || schema === names.source;
    const away = headRefs(info).find((ref) => ref.schema !== undefined && !own(ref.schema));
    if (away?.schema !== undefined) return `reaches schema ${quoteId(away.schema)}, outside the shop's database (${written(text, away)})`;
    if (info.kind !== 'alter-database' || names.source === undefined) return undefined;
    const database = info.objects.find((ref) => !own(ref.name));
    return database ? `reaches schema ${quoteId(database.name)}, outside the shop's database (ALTER DATABASE)` : undefined;
  }
}

function headRefs(info: StatementInfo): ObjectRef[] {
  return info.table ? [...info.objects, info.table] : info.objects;
}

function written(text: Buffer, ref: ObjectRef): string {
  return preview(text.subarray(ref.range[0], ref.range[1]), 60);
}

/** What the statement's kind alone tells (restore-parse.ts), should no word of it have said more. */
function kindReach(text: Buffer, info: StatementInfo): OutsideReach | undefined {
  const head = () => preview(text, 40).split(' ').slice(0, 2).join(' ').toUpperCase();
  if (info.kind === 'set-global') return 'changes a server-wide setting (SET GLOBAL)';
  if (info.kind === 'admin') return `administers the database server (${head()})`;
  if (info.kind === 'load') return 'reads a file (LOAD DATA)';
  return undefined;
}

/** The one-line refusal: what was found, the statement and where it is, that nothing changed, what to do. */
export function outsideReachRefusal(database: string, statement: SqlStatement, reach: OutsideReach): RestoreRefusedError {
  const where = `in its statement at byte offset ${statement.offset}: "${preview(statement.text, 80)}"`;
  return refusal(database, `this dump, which Lifeboat did not make, ${reach} ${where}; ${ADVICE}`);
}

export interface ScreenOptions {
  signal?: AbortSignal;
  onProgress?: ProgressListener;
  totalBytes?: number;
}

/**
 * Reads a whole dump Lifeboat did not make before the restore writes anything, and throws the refusal at
 * its first statement that reaches outside the shop's database.
 */
export async function screenDump(sql: AsyncIterable<Buffer>, shop: string, sqlMode: string, options: ScreenOptions = {}): Promise<void> {
  const screen = new DumpScreen(shop, sqlMode);
  const sequences = new Set<string>();
  let source: string | undefined;
  let lastProgress = 0;
  for await (const statement of splitStatements(sql, 'mysql')) {
    options.signal?.throwIfAborted();
    const info = classifyStatement(statement.text);
    if (info.kind === 'use' || info.kind === 'create-database') source ??= info.objects[0]?.name;
    screen.check(statement, info, { source, sequences });
    if (info.kind === 'create-sequence') for (const ref of info.objects) sequences.add(ref.name);
    if (options.onProgress && Date.now() - lastProgress >= 200) {
      lastProgress = Date.now();
      options.onProgress({ phase: 'check', rows: 0, bytes: statement.offset, ...(options.totalBytes !== undefined ? { totalBytes: options.totalBytes } : {}) });
    }
  }
}
