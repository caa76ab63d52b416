// What of each statement of a dump reaches the staging schema, and in which words (staging-replay.ts
// gives the rules): the statements a partial restore or a stream's share leaves out, the ones that act
// beyond the database (skipped with a warning, or refused), and for the rest the schema qualifiers and
// foreign DEFINER clauses taken off. What the dump tells on the way (the database it was made from, its
// sequences, the owners its DEFINER clauses name) is kept for the statements after it and the swap.
import type { SqlStatement } from '../../sql/splitter.js';
import { classifyStatement, preview, quoteId, removeRanges, sequenceReferences, widenSetNames, type ObjectRef, type StatementInfo } from './restore-parse.js';
import { ownSequenceQualifiers } from './swap-defaults.js';
import { isCurrentUser } from './swap-objects.js';
import { definerKey, formatAccount } from './definers.js';
import { StatementError } from './replay-errors.js';
import { StagedNames } from './staged-names.js';
import type { Prepared, ReplayOptions, ReplayResult } from './staging-replay.js';

/** Which of a dump's statements a stream replays: only `include`'s tables, or all but `exclude`'s. */
export interface StreamFilter {
  include?: Set<string>;
  exclude?: Set<string>;
  /** `include` holds the tables the user chose (a partial restore), not a stream's share of the dump. */
  chosen?: boolean;
}

const PARTIAL_KINDS = new Set([
  'create-table',
  'drop-table',
  'alter-table',
  'create-index',
  'insert',
  'lock',
  'truncate',
  'update',
  'setval',
  'create-sequence',
  'drop-sequence',
  'alter-sequence',
]);
// Session statements: needed whatever tables are restored; and statements that act beyond the
// database, which are skipped or refused whatever tables are restored.
const PARTIAL_ALWAYS = new Set(['set', 'unlock', 'transaction', 'set-global', 'admin', 'load']);
// Statements whose objects are not schema objects to redirect (ALTER DATABASE has its own rule).
const NO_QUALIFIERS = new Set(['other', 'set', 'unlock', 'transaction']);

/** Prepares the statements of all of a replay's streams, in each stream's order. */
export class StatementPreparer {
  /** Sequences the dump created so far (see ownSequenceQualifiers). */
  private readonly sequences = new Set<string>();
  /** What the replay has made in the staging schema, so a drop of what is not there is left out. */
  private readonly names = new StagedNames();

  constructor(
    private readonly options: Pick<ReplayOptions, 'stage' | 'shop' | 'current' | 'screen'>,
    private readonly result: ReplayResult,
    private readonly warnOnce: (key: string, message: string) => void,
  ) {}

  /** The statement as staging runs it, or null where it is not run. */
  prepare(st: SqlStatement, { include: tables, exclude, chosen = false }: StreamFilter): Prepared | null {
    const info = classifyStatement(st.text);
    if (info.kind === 'use' || info.kind === 'create-database') {
      this.noteSourceDatabase(st, info);
      return null;
    }
    if (info.kind === 'drop-database') return null;
    if (tables && !this.isAbout(st, info, tables, chosen)) return null;
    if (exclude) {
      const refs = info.kind === 'create-index' || info.kind === 'create-trigger' ? [info.table] : info.objects;
      if (refs.some((ref) => ref !== undefined && exclude.has(ref.name))) return null;
    }
    // An INSERT's values are screened once it is known whether they go as LOAD DATA (StreamReader in
    // staging-replay.ts); its head now, before redirect() takes a qualifier off it.
    if (info.kind === 'insert') this.screenHead(st, info);
    else this.screen(st, info);
    if (this.leavesOut(st, info)) return null;
    if (this.names.dropsNothing(info, st.text)) return null;
    return { statement: st, text: this.rewrite(st, info), info };
  }

  /** Refuses a statement of a dump Lifeboat did not make that reaches outside the database (dump-screen.ts). */
  screen(st: SqlStatement, info: StatementInfo): void {
    this.options.screen?.check(st, info, { source: this.result.sourceDatabase, sequences: this.sequences });
  }

  private screenHead(st: SqlStatement, info: StatementInfo): void {
    this.options.screen?.checkHead(st, info, { source: this.result.sourceDatabase, sequences: this.sequences });
  }

  /** USE and CREATE DATABASE name the dumped database: one only. */
  private noteSourceDatabase(st: SqlStatement, info: StatementInfo): void {
    const name = info.objects[0]?.name;
    if (name === undefined) return;
    const source = this.result.sourceDatabase;
    if (source !== undefined && source !== name) {
      throw new StatementError(st.offset, `the dump holds more than one database (${quoteId(source)}, ${quoteId(name)}); restore one database at a time`, undefined, preview(st.text));
    }
    this.result.sourceDatabase = name;
  }

  /** Whether a statement is needed to restore `tables` (a partial restore's, or a stream's share). */
  private isAbout(st: SqlStatement, info: StatementInfo, tables: Set<string>, chosen: boolean): boolean {
    const inSet = (ref: ObjectRef | undefined) => ref !== undefined && tables.has(ref.name);
    let keep = false;
    if (PARTIAL_ALWAYS.has(info.kind)) keep = true;
    else if (info.kind === 'create-trigger') keep = info.table ? inSet(info.table) : keepTriggerOfUnknownTable(st, info, chosen);
    else if (PARTIAL_KINDS.has(info.kind)) {
      const refs = info.kind === 'create-index' ? [info.table] : info.objects;
      keep = refs.length > 0 && refs.every(inSet);
      if (!keep && refs.some(inSet)) {
        this.warnOnce(`mixed ${st.offset}`, `skipped a statement naming restored and other tables (byte offset ${st.offset})`);
      }
    }
    if (!keep) return false;
    if (chosen && info.kind === 'create-table') requireOwnSequences(st, info, tables, [this.options.shop, this.result.sourceDatabase]);
    return true;
  }

  /** Statements that would act beyond the database: skipped with a warning (true), or refused. */
  private leavesOut(st: SqlStatement, info: StatementInfo): boolean {
    if (info.kind === 'set' && turnsBinaryLogOff(st.text)) {
      // MySQL 8's mysqldump writes SET @@SESSION.SQL_LOG_BIN= 0 with GTIDs: replicas would miss the staging
      // load and then stop at the RENAME that names it. Everything a restore does stays in the binary log.
      this.warnOnce('sql_log_bin', `left out the dump's SET sql_log_bin (byte offset ${st.offset}): the binary log stays on, so replicas follow the restore`);
      return true;
    }
    if (info.kind === 'set-global' || info.kind === 'admin') {
      this.warnOnce(`skip ${preview(st.text).slice(0, 30)}`, `skipped a statement that acts beyond the database (byte offset ${st.offset}): ${preview(st.text).slice(0, 80)}`);
      return true;
    }
    if (info.kind === 'load') throw new StatementError(st.offset, 'LOAD DATA statements are not supported in a dump', undefined, preview(st.text));
    return false;
  }

  /** The statement's text for staging: qualifiers and a foreign DEFINER taken off, `SET NAMES utf8` widened. */
  private rewrite(st: SqlStatement, info: StatementInfo): Buffer {
    const ranges = this.qualifiers(st, info);
    if (info.kind === 'create-sequence') for (const ref of info.objects) this.sequences.add(ref.name);
    if (info.kind === 'create-table' && this.sequences.size > 0) ranges.push(...ownSequenceQualifiers(st.text, this.sequences));
    if (info.definer && !isCurrentUser(info.definer, this.options.current)) ranges.push(info.definer.range);
    this.recordOwner(info);
    const text = removeRanges(st.text, ranges);
    return info.kind === 'set' ? widenSetNames(text) : text;
  }

  /** The byte ranges of the schema qualifiers to take off, so the statement applies to staging. */
  private qualifiers(st: SqlStatement, info: StatementInfo): [number, number][] {
    const ranges: [number, number][] = [];
    if (info.kind === 'alter-database') for (const ref of info.objects) this.unnameDatabase(ref, st, ranges);
    else if (!NO_QUALIFIERS.has(info.kind)) for (const ref of info.objects) this.redirect(ref, st, ranges);
    this.redirect(info.table, st, ranges);
    return ranges;
  }

  /** ALTER DATABASE `x` ... -> ALTER DATABASE ... (applies to the default schema, staging) */
  private unnameDatabase(ref: ObjectRef, st: SqlStatement, ranges: [number, number][]): void {
    if (ref.schema !== undefined || ref.name === this.options.stage) return;
    const source = this.result.sourceDatabase;
    if (source !== undefined && ref.name !== source && ref.name !== this.options.shop) {
      throw new StatementError(st.offset, `the statement alters database ${quoteId(ref.name)}, not the one being restored`, undefined, preview(st.text));
    }
    ranges.push(ref.range);
  }

  private redirect(ref: ObjectRef | undefined, st: SqlStatement, ranges: [number, number][]): void {
    if (!ref || ref.schema === undefined || !ref.qualifier) return;
    if (ref.schema === this.options.stage) return;
    if (ref.schema === this.result.sourceDatabase || ref.schema === this.options.shop) {
      ranges.push(ref.qualifier);
      return;
    }
    throw new StatementError(st.offset, `the statement writes to schema ${quoteId(ref.schema)}, outside the database being restored`, undefined, preview(st.text));
  }

  /** The owner a DEFINER clause names, which the staging load leaves out: the swap gives it back. */
  private recordOwner(info: StatementInfo): void {
    const key = ownedObjectKey(info);
    if (key === undefined || !info.definer || info.definer.currentUser) return;
    this.result.definers[key] = formatAccount({ user: info.definer.user, host: info.definer.host ?? '%' });
  }
}

/** The object a CREATE names with a DEFINER clause, as definers.ts keys it (undefined: none). */
function ownedObjectKey(info: StatementInfo): string | undefined {
  const name = info.objects[0]?.name;
  if (name === undefined) return undefined;
  if (info.kind === 'create-trigger') return definerKey('trigger', name);
  if (info.kind === 'create-view' || info.kind === 'alter-view') return definerKey('view', name);
  if (info.kind === 'create-event' || info.kind === 'alter-event') return definerKey('event', name);
  if (info.kind === 'create-routine') return definerKey(info.routineType === 'FUNCTION' ? 'function' : 'procedure', name);
  return undefined;
}

/**
 * A trigger whose head does not tell its table. A stream keeps it: every dump places a trigger after its
 * table's rows, so the table is one of the stream's own. Among tables the user chose it may belong to one
 * of them, which would then lose it without a word: the restore stops instead, before the swap.
 */
function keepTriggerOfUnknownTable(st: SqlStatement, info: StatementInfo, chosen: boolean): boolean {
  if (!chosen) return true;
  const trigger = quoteId(info.objects[0]?.name ?? '?');
  throw new StatementError(st.offset, `the table of trigger ${trigger} cannot be read, so restoring some tables could lose it; roll back the whole database`, undefined, preview(st.text));
}

/**
 * A table chosen for a partial restore whose column defaults draw from a sequence of the same database
 * cannot be created in staging without that sequence, and swapping the sequence back unasked could hand
 * out again numbers that rows of other tables already hold: the restore stops, before the swap, naming
 * the sequence to add.
 */
function requireOwnSequences(st: SqlStatement, info: StatementInfo, chosen: Set<string>, ownSchemas: (string | undefined)[]): void {
  const table = info.objects[0]?.name ?? '?';
  const own = sequenceReferences(st.text).filter((ref) => ref.schema === undefined || ownSchemas.includes(ref.schema));
  const missing = own.find((ref) => !chosen.has(ref.name));
  if (!missing) return;
  throw new Error(
    `table ${quoteId(table)} takes a default from sequence ${quoteId(missing.name)}, which is not restored with it: add --table ${missing.name} to restore both (the sequence then goes back to the backup's value too), or roll back the whole database`,
  );
}

/** A session statement that sets sql_log_bin (on or back to a saved value: the dump's pair of them). */
function turnsBinaryLogOff(text: Buffer): boolean {
  return /\bsql_log_bin\b/i.test(text.toString('latin1'));
}
