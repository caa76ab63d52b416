// The swap: replaces the shop's tables by the staged ones in one RENAME TABLE statement (atomic in
// MariaDB/MySQL: readers see all old tables or all new ones, never a missing one), then puts the staged
// routines, views, triggers and events in place. Any failure after the rename renames everything back and
// recreates the objects captured before, so the shop ends as it was.
//
// Facts this relies on (checked on MariaDB 10.11):
// - RENAME TABLE into another schema fails for a table with triggers ("Trigger in wrong schema", 1435):
//   triggers of every moved table, in the shop and in staging, are dropped first and recreated after.
// - Views cannot move between schemas (1450): they are recreated from their definitions. The shop's
//   views are replaced in place (CREATE OR REPLACE) after the rename, so they exist throughout; only a
//   view whose name a staged table takes is dropped before the rename.
// - Sequences are tables to RENAME: they move like base tables; a column DEFAULT NEXTVAL(seq) keeps
//   naming the staging schema and is pointed at the shop (see swap-defaults.ts).
// - Foreign keys follow the renamed table object (see swap-foreign-keys.ts).
import { quoteId } from './restore-parse.js';
import { asServerError, exec, quoteString, run, text, type RawConnection } from './restore-session.js';
import type { ObjectDefinition, SchemaInventory } from './restore-inventory.js';
import { createObject, createViews, dropObject, type CreateOptions, type CurrentUser } from './swap-objects.js';
import { repointForeignKeys } from './swap-foreign-keys.js';
import { repointSequenceDefaults } from './swap-defaults.js';

export interface SwapInput {
  /** Session with the shop schema as default schema. */
  conn: RawConnection;
  shop: string;
  stage: string;
  prev: string;
  /** What the backup holds (events with their original status). */
  staged: SchemaInventory;
  /** What the shop holds now. */
  old: SchemaInventory;
  /** Partial restore: only these tables (and their triggers). */
  tables?: Set<string>;
  current: CurrentUser;
  mariadb: boolean;
  warnings: string[];
  /** Told each step as it is done (a test may pause there, to be killed at exactly that point). */
  reached?: (step: string) => Promise<void>;
}

export class SwapError extends Error {
  constructor(
    message: string,
    /** True when the shop was put back as it was (false: see message; the prev schema is kept). */
    readonly rolledBack: boolean,
  ) {
    super(message);
  }
}

const id = (schema: string, name: string) => `${quoteId(schema)}.${quoteId(name)}`;

/** What the swap moves: the tables coming in from staging and the shop's going out to prev. */
function movesOf(input: Pick<SwapInput, 'staged' | 'old' | 'tables'>): { moveIn: string[]; moveOut: string[] } {
  const { staged, old, tables } = input;
  const moveIn = [...staged.tables, ...staged.sequences];
  const moveOut = tables ? [...old.tables, ...old.sequences].filter((t) => tables.has(t)) : [...old.tables, ...old.sequences];
  return { moveIn, moveOut };
}

const triggersOf = (inventory: SchemaInventory, tables: Set<string> | undefined) => (tables ? inventory.triggers.filter((t) => tables.has(t.table)) : inventory.triggers);

/** Shop views whose name a staged table takes: they must go before the rename. */
const collidingViewsOf = (input: Pick<SwapInput, 'staged' | 'old'>) => {
  const moveIn = new Set([...input.staged.tables, ...input.staged.sequences]);
  return input.old.views.filter((v) => moveIn.has(v.name));
};

export async function swapTables(input: SwapInput): Promise<void> {
  const { conn, shop, stage, prev, old, tables, warnings } = input;
  const { moveIn, moveOut } = movesOf(input);
  const oldTriggers = triggersOf(old, tables);
  const collidingViews = collidingViewsOf(input);

  let renamed = false;
  const createdTriggers: string[] = [];
  try {
    for (const trigger of oldTriggers) {
      await dropObject(conn, 'trigger', trigger.name, shop);
      await input.reached?.('trigger-dropped');
    }
    for (const view of collidingViews) {
      await dropObject(conn, 'view', view.name, shop);
      warnings.push(`view \`${view.name}\` was replaced by the backup's table of the same name`);
    }
    const pairs = [
      ...moveOut.map((t) => `${id(shop, t)} TO ${id(prev, t)}`),
      ...moveIn.map((t) => `${id(stage, t)} TO ${id(shop, t)}`),
    ];
    if (pairs.length > 0) {
      // The commit point of the restore: from here on, recovery after a crash finishes it.
      await exec(conn, `RENAME TABLE ${pairs.join(', ')}`);
      renamed = true;
      await input.reached?.('tables-renamed');
    }
    await putBackupObjectsInPlace(input, createdTriggers, false);
  } catch (error) {
    const cause = asServerError(error).message;
    const problems = await rollback(input, { renamed, moveIn, moveOut, oldTriggers, createdTriggers, collidingViews });
    if (problems.length === 0) throw new SwapError(`${cause} (the database was put back as it was)`, true);
    throw new SwapError(
      `${cause}; putting the database back failed too: ${problems.join('; ')}. The previous tables are kept in schema \`${prev}\`.`,
      false,
    );
  }
}

/**
 * After the rename: foreign keys and sequence defaults pointed at the shop, then the backup's routines,
 * views, triggers and events created and the objects it does not have dropped. `resume` (recovery after a
 * crash) makes every step safe to repeat: a trigger already on its table is left as it is.
 */
async function putBackupObjectsInPlace(input: SwapInput, createdTriggers: string[], resume: boolean): Promise<void> {
  const { conn, shop, stage, prev, staged, old, tables, warnings } = input;
  const partial = tables !== undefined;
  const moveInSet = new Set(movesOf(input).moveIn);
  // The backup's owners, where giveBackOwners (restore-owners.ts) found the restoring user may set them.
  const create: CreateOptions = { current: input.current, policy: 'keep-if-allowed', orReplace: true, mariadb: input.mariadb };
  warnings.push(...(await repointForeignKeys(conn, shop, [stage, prev])));
  await repointSequenceDefaults(conn, shop, [stage]);

  if (!partial) {
    for (const r of staged.routines) await createObject(conn, r.type === 'FUNCTION' ? 'function' : 'procedure', r, create);
    await createViews(conn, staged.views, create);
  }
  const existing = resume ? await triggersOnTables(conn, shop) : new Set<string>();
  for (const trigger of triggersOf(staged, tables)) {
    if (existing.has(`${trigger.table}\0${trigger.name}`)) continue;
    await createObject(conn, 'trigger', trigger, { ...create, orReplace: false });
    createdTriggers.push(trigger.name);
    await input.reached?.('trigger-created');
  }
  if (!partial) {
    for (const event of staged.events) await createObject(conn, 'event', event, create);
    // Objects the backup does not have go.
    const keep = (list: { name: string }[]) => new Set(list.map((o) => o.name));
    const views = keep(staged.views);
    for (const v of old.views) if (!views.has(v.name) && !moveInSet.has(v.name)) await dropObject(conn, 'view', v.name);
    const routines = new Set(staged.routines.map((r) => `${r.type} ${r.name}`));
    for (const r of old.routines) {
      if (!routines.has(`${r.type} ${r.name}`)) await dropObject(conn, r.type === 'FUNCTION' ? 'function' : 'procedure', r.name);
    }
    const events = keep(staged.events);
    for (const e of old.events) if (!events.has(e.name)) await dropObject(conn, 'event', e.name);
  }
}

/** `table\0trigger` for every trigger in the schema. */
async function triggersOnTables(conn: RawConnection, schema: string): Promise<Set<string>> {
  const rows = await run(conn, `SELECT EVENT_OBJECT_TABLE AS tbl, TRIGGER_NAME AS name FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ${quoteString(schema)}`);
  return new Set(rows.map((row) => `${text(row, 'tbl')}\0${text(row, 'name')}`));
}

/**
 * Whether the swap's RENAME TABLE happened (it is atomic: all its pairs or none). Read from where the
 * tables are: the staged ones have left the staging schema, or the shop's have arrived in prev.
 */
export async function wasRenamed(conn: RawConnection, input: Pick<SwapInput, 'stage' | 'prev' | 'staged' | 'old' | 'tables'>): Promise<boolean> {
  const { moveIn, moveOut } = movesOf(input);
  const present = async (schema: string) =>
    new Set((await run(conn, `SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ${quoteString(schema)}`)).map((row) => text(row, 'name')));
  if (moveIn.length > 0) {
    const inStage = await present(input.stage);
    return moveIn.every((t) => !inStage.has(t));
  }
  if (moveOut.length > 0) {
    const inPrev = await present(input.prev);
    return moveOut.every((t) => inPrev.has(t));
  }
  return false;
}

/**
 * Finishes a swap whose rename happened before a crash (recovery): the backup's objects are put in place,
 * each step safe to repeat. If that fails, the swap is undone as an in-process failure would be.
 * Returns which state the database ends in.
 */
export async function finishSwap(input: SwapInput): Promise<'new' | 'old'> {
  try {
    await putBackupObjectsInPlace(input, [], true);
    return 'new';
  } catch (error) {
    const cause = asServerError(error).message;
    const { moveIn, moveOut } = movesOf(input);
    const existing = await triggersOnTables(input.conn, input.shop);
    const createdTriggers = triggersOf(input.staged, input.tables).filter((t) => existing.has(`${t.table}\0${t.name}`)).map((t) => t.name);
    const problems = await rollback(input, { renamed: true, moveIn, moveOut, oldTriggers: triggersOf(input.old, input.tables), createdTriggers, collidingViews: collidingViewsOf(input) });
    if (problems.length === 0) {
      input.warnings.push(`finishing the interrupted restore failed (${cause}), so the database was put back as it was`);
      return 'old';
    }
    throw new SwapError(`${cause}; putting the database back failed too: ${problems.join('; ')}. The previous tables are kept in schema \`${input.prev}\`.`, false);
  }
}

/**
 * Undoes a swap that stopped before its rename (recovery): the shop's triggers and the views that were
 * dropped ahead of the rename are created again where they are missing.
 */
export async function undoUnrenamedSwap(input: SwapInput): Promise<string[]> {
  const { conn, shop, old, tables } = input;
  const restoreOptions: CreateOptions = { current: input.current, policy: 'keep-if-allowed', orReplace: true, mariadb: input.mariadb };
  const problems: string[] = [];
  const existing = await triggersOnTables(conn, shop);
  for (const t of triggersOf(old, tables)) {
    if (existing.has(`${t.table}\0${t.name}`)) continue;
    await createObject(conn, 'trigger', t, { ...restoreOptions, orReplace: false }).catch((error: unknown) => problems.push(`recreate trigger ${t.name}: ${asServerError(error).message}`));
  }
  const views = collidingViewsOf(input);
  if (views.length) await createViews(conn, views, restoreOptions).catch((error: unknown) => problems.push(`recreate views: ${asServerError(error).message}`));
  return problems;
}

interface SwapState {
  renamed: boolean;
  moveIn: string[];
  moveOut: string[];
  oldTriggers: ObjectDefinition[];
  /** Triggers this swap created (only those may be dropped: a name may belong to another table's trigger). */
  createdTriggers: string[];
  collidingViews: ObjectDefinition[];
}

/** Puts the shop back as captured in `input.old`. Returns what could not be done. */
async function rollback(input: SwapInput, state: SwapState): Promise<string[]> {
  const { conn, shop, stage, prev, old, staged, tables } = input;
  const partial = tables !== undefined;
  const problems: string[] = [];
  const attempt = async (what: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch (error) {
      problems.push(`${what}: ${asServerError(error).message}`);
    }
  };
  const restoreOptions: CreateOptions = { current: input.current, policy: 'keep-if-allowed', orReplace: true, mariadb: input.mariadb };

  // Triggers of the staged tables must go before they can move back to staging.
  for (const name of state.createdTriggers) await attempt(`drop trigger ${name}`, () => dropObject(conn, 'trigger', name, shop));
  if (state.renamed) {
    const pairs = [
      ...state.moveIn.map((t) => `${id(shop, t)} TO ${id(stage, t)}`),
      ...state.moveOut.map((t) => `${id(prev, t)} TO ${id(shop, t)}`),
    ];
    let back = false;
    await attempt('rename the tables back', async () => {
      await exec(conn, `RENAME TABLE ${pairs.join(', ')}`);
      back = true;
    });
    if (!back) return problems; // keep everything where it is: prev still holds the old tables
    await attempt('repoint foreign keys', () => repointForeignKeys(conn, shop, [stage, prev]));
  }
  if (!partial) {
    const oldRoutines = new Set(old.routines.map((r) => `${r.type} ${r.name}`));
    for (const r of staged.routines) {
      if (!oldRoutines.has(`${r.type} ${r.name}`)) {
        await attempt(`drop ${r.type} ${r.name}`, () => dropObject(conn, r.type === 'FUNCTION' ? 'function' : 'procedure', r.name));
      }
    }
    for (const r of old.routines) {
      const kind = r.type === 'FUNCTION' ? 'function' : 'procedure';
      if (r.sql === '') {
        problems.push(`${r.type.toLowerCase()} ${r.name} cannot be recreated: its definition was not readable`);
        continue;
      }
      await attempt(`recreate ${r.type} ${r.name}`, () => createObject(conn, kind, r, restoreOptions));
    }
    const oldViews = new Set(old.views.map((v) => v.name));
    for (const v of staged.views) if (!oldViews.has(v.name)) await attempt(`drop view ${v.name}`, () => dropObject(conn, 'view', v.name));
    await attempt('recreate views', () => createViews(conn, old.views, restoreOptions));
    const oldEvents = new Set(old.events.map((e) => e.name));
    for (const e of staged.events) if (!oldEvents.has(e.name)) await attempt(`drop event ${e.name}`, () => dropObject(conn, 'event', e.name));
    for (const e of old.events) await attempt(`recreate event ${e.name}`, () => createObject(conn, 'event', e, restoreOptions));
  } else if (state.collidingViews.length > 0) {
    await attempt('recreate views', () => createViews(conn, state.collidingViews, restoreOptions));
  }
  for (const t of state.oldTriggers) {
    // OR REPLACE: a failure before all old triggers were dropped leaves some in place.
    await attempt(`recreate trigger ${t.name}`, () => createObject(conn, 'trigger', t, restoreOptions));
  }
  return problems;
}
