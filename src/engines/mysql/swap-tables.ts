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
import { asServerError, exec, type RawConnection } from './restore-session.js';
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

export async function swapTables(input: SwapInput): Promise<void> {
  const { conn, shop, stage, prev, staged, old, tables, warnings } = input;
  const partial = tables !== undefined;
  const moveIn = [...staged.tables, ...staged.sequences];
  const moveInSet = new Set(moveIn);
  const moveOut = partial ? [...old.tables, ...old.sequences].filter((t) => tables.has(t)) : [...old.tables, ...old.sequences];
  const oldTriggers = partial ? old.triggers.filter((t) => tables.has(t.table)) : old.triggers;
  const stagedTriggers = partial ? staged.triggers.filter((t) => tables.has(t.table)) : staged.triggers;
  // Shop views whose name a staged table takes must go before the rename.
  const collidingViews = old.views.filter((v) => moveInSet.has(v.name));
  const create: CreateOptions = { current: input.current, policy: 'keep-if-allowed', orReplace: true, mariadb: input.mariadb };

  let renamed = false;
  const createdTriggers: string[] = [];
  try {
    for (const trigger of oldTriggers) await dropObject(conn, 'trigger', trigger.name, shop);
    for (const view of collidingViews) {
      await dropObject(conn, 'view', view.name, shop);
      warnings.push(`view \`${view.name}\` was replaced by the backup's table of the same name`);
    }
    const pairs = [
      ...moveOut.map((t) => `${id(shop, t)} TO ${id(prev, t)}`),
      ...moveIn.map((t) => `${id(stage, t)} TO ${id(shop, t)}`),
    ];
    if (pairs.length > 0) {
      await exec(conn, `RENAME TABLE ${pairs.join(', ')}`);
      renamed = true;
    }
    warnings.push(...(await repointForeignKeys(conn, shop, [stage, prev])));
    await repointSequenceDefaults(conn, shop, [stage]);

    if (!partial) {
      for (const r of staged.routines) await createObject(conn, r.type === 'FUNCTION' ? 'function' : 'procedure', r, create);
      await createViews(conn, staged.views, create);
    }
    for (const trigger of stagedTriggers) {
      await createObject(conn, 'trigger', trigger, { ...create, orReplace: false });
      createdTriggers.push(trigger.name);
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
