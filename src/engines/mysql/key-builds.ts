// When the deferred indexes and foreign keys of the staged tables (deferred-keys.ts) are added during a
// replay:
// - a table's indexes are built as soon as the dump moves on to the next table (its rows are all read;
//   the build waits for them to be in, and the next table loads meanwhile on the other lanes);
// - foreign keys are added at the end, when every index they may rest on (on either side) exists;
// - a statement that may depend on the full definition of a deferred table (ALTER, RENAME, DROP, an
//   unknown statement) first has every pending build and foreign key done, in order;
// - a table the backup's manifest shows to have few rows keeps its indexes in its CREATE TABLE (only its
//   foreign keys wait): each ALTER TABLE that builds indexes costs a statement, a table rebuild and, with
//   the binary log on, a logged commit (about 13 ms each, 0.7 s for a 60-table shop whose tables are
//   almost all small), while inserting a few thousand rows into indexes that fit in memory costs nearly
//   nothing; a dump without sizes (not Lifeboat's) has every eligible table's indexes deferred;
// - mysqldump's ALTER TABLE ... DISABLE/ENABLE KEYS around a deferred table's rows is dropped (InnoDB
//   ignores it, and it would otherwise have to wait for the build).
import { deferKeys, isKeysToggle, type DeferredKeys } from './deferred-keys.js';
import type { ReplayLanes } from './replay-lanes.js';
import type { StatementKind } from './restore-parse.js';
import type { Prepared } from './staging-replay.js';

// Statements that never depend on a table's indexes or foreign keys.
const INDEPENDENT = new Set<StatementKind>([
  'insert',
  // UPDATE/DELETE: a dump's (value-pieces.ts) find rows by primary key, which is never deferred; foreign
  // key actions are off during a restore, and a deferred unique key still refuses duplicates when built.
  'update',
  'create-trigger',
  'drop-trigger',
  'create-view',
  'alter-view',
  'drop-view',
  'create-routine',
  'alter-routine',
  'drop-routine',
  'create-event',
  'alter-event',
  'drop-event',
  'create-sequence',
  'alter-sequence',
  'drop-sequence',
  'setval',
  'lock',
  'unlock',
  'set',
  'transaction',
]);

/**
 * Below this many bytes of a table's rows in the dump, its indexes are made with the table. At 8 MiB
 * (some 50,000 rows of a Magento sales table) the indexes of even a wide table fit in a 128 MiB buffer
 * pool as they grow, so inserting into them costs no random reads.
 */
const FEW_ROWS_BYTES = 8 << 20;

/** Whether a table has few rows, by the SQL bytes of its rows the manifest lists (unknown: not few). */
export function fewRowsBy(tableBytes: Record<string, number> | undefined): (table: string) => boolean {
  return (table) => {
    const bytes = tableBytes && Object.hasOwn(tableBytes, table) ? tableBytes[table] : undefined;
    return bytes !== undefined && bytes < FEW_ROWS_BYTES;
  };
}

interface Pending {
  table: string;
  offset: number;
  keys: DeferredKeys;
}

export class KeyBuilds {
  /** Tables created without their secondary indexes, whose rows are still being read. */
  private loading: Pending[] = [];
  /** Foreign keys of tables whose indexes are built or being built. */
  private foreignKeys: Pending[] = [];
  /** Every table whose keys were deferred (for the DISABLE/ENABLE KEYS statements around its rows). */
  private readonly deferred = new Set<string>();

  /** `fewRows`: whether a table's rows are known to be few enough to load into its indexes as they come. */
  constructor(
    private readonly lanes: ReplayLanes<Prepared>,
    private readonly fewRows: (table: string) => boolean = () => false,
  ) {}

  /** Rewrites or schedules around one statement before it is dispatched; false: drop the statement. */
  async admit(prepared: Prepared): Promise<boolean> {
    const { info } = prepared;
    const names = [...info.objects, ...(info.table ? [info.table] : [])].map((ref) => ref.name);
    if (info.kind === 'alter-table' && names.length === 1 && this.deferred.has(names[0]) && isKeysToggle(prepared.text)) return false;
    if (info.kind === 'create-table' && names.length === 1) {
      this.buildPending();
      const table = names[0];
      const keys = deferKeys(prepared.text, table, { keepKeys: this.fewRows(table) });
      if (keys) {
        prepared.text = keys.create;
        this.loading.push({ table, offset: prepared.statement.offset, keys });
        this.deferred.add(table);
      }
      return true;
    }
    if (INDEPENDENT.has(info.kind)) return true;
    const known = (pending: Pending) => names.includes(pending.table);
    if (info.kind === 'other' || info.kind === 'rename' || this.loading.some(known) || this.foreignKeys.some(known)) await this.finish();
    return true;
  }

  /** Builds every pending index, then adds every pending foreign key. */
  async finish(): Promise<void> {
    this.buildPending();
    if (this.foreignKeys.length === 0) return;
    await this.lanes.idle(); // a foreign key needs the indexes of both of its tables
    // Without checks, adding a foreign key is a metadata change (with them, a copy of the table).
    await this.lanes.dispatch({ to: 'all' }, synthetic('SET SESSION foreign_key_checks = 0', 'set', undefined, 0), 0);
    for (const pending of this.foreignKeys.splice(0)) {
      if (pending.keys.addForeignKeys) this.lanes.defer(pending.table, synthetic(pending.keys.addForeignKeys, 'alter-table', pending.table, pending.offset));
    }
    await this.lanes.idle();
  }

  /** Queues the index builds of the tables loaded so far (their foreign keys wait for finish()). */
  buildPending(): void {
    for (const pending of this.loading.splice(0)) {
      if (pending.keys.addKeys) this.lanes.defer(pending.table, synthetic(pending.keys.addKeys, 'alter-table', pending.table, pending.offset));
      if (pending.keys.addForeignKeys) this.foreignKeys.push(pending);
    }
  }
}

/** A statement Lifeboat adds to the replay; failures name the dump statement it comes from. */
function synthetic(text: Buffer | string, kind: StatementKind, table: string | undefined, offset: number): Prepared {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  return {
    statement: { text: bytes, offset, delimiter: ';' },
    text: bytes,
    info: { kind, objects: table === undefined ? [] : [{ name: table, range: [0, 0] }] },
  };
}
