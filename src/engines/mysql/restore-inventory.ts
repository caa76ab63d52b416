// What one schema holds, with the definitions needed to recreate each object elsewhere: views, triggers,
// routines and events are read with SHOW CREATE on a session whose default schema is that schema, so
// references to its own tables come back unqualified and can be replayed in another schema. A view that
// also reads another schema, or calls a sequence, comes back with this schema's name in it: that name is
// taken out (a staged view created in the shop would otherwise read the staging schema's tables).
import { quoteString, run, text, type RawConnection } from './restore-session.js';
import { quoteId } from './restore-parse.js';
import { withoutSchemaQualifier } from './schema-qualifiers.js';

/** The session settings an object was created under (they change how its body is parsed and runs). */
export interface CreationContext {
  sqlMode: string;
  characterSetClient: string;
  collationConnection: string;
  /** Events only. */
  timeZone?: string;
}

export interface ObjectDefinition {
  name: string;
  /** The CREATE statement as SHOW CREATE prints it. */
  sql: string;
  context: CreationContext;
}

export interface TriggerDefinition extends ObjectDefinition {
  table: string;
}

export interface RoutineDefinition extends ObjectDefinition {
  type: 'PROCEDURE' | 'FUNCTION';
}

export interface SchemaInventory {
  /** Base tables (system-versioned included), sorted. */
  tables: string[];
  sequences: string[];
  views: ObjectDefinition[];
  /** In creation order: by table, timing, event and ACTION_ORDER. */
  triggers: TriggerDefinition[];
  routines: RoutineDefinition[];
  events: ObjectDefinition[];
}

export interface InventoryOptions {
  /** Only triggers on these tables, and no views/routines/events (partial restores). */
  tables?: Set<string>;
  /**
   * Where to report routines whose body the user may not read (MariaDB shows it only to the definer or
   * to users with SELECT on mysql.proc); they are then listed with `sql: ''`. Without it they fail.
   */
  warnings?: string[];
}

/** Reads a schema's objects. `conn` must have `schema` as its default schema. */
export async function inventorySchema(conn: RawConnection, schema: string, options: InventoryOptions = {}): Promise<SchemaInventory> {
  const s = quoteString(schema);
  const inv: SchemaInventory = { tables: [], sequences: [], views: [], triggers: [], routines: [], events: [] };
  const tables = await run(conn, `SELECT TABLE_NAME AS name, TABLE_TYPE AS type FROM information_schema.TABLES WHERE TABLE_SCHEMA = ${s} ORDER BY TABLE_NAME`);
  const viewNames: string[] = [];
  for (const row of tables) {
    const name = text(row, 'name');
    const type = text(row, 'type');
    if (type === 'VIEW') viewNames.push(name);
    else if (type === 'SEQUENCE') inv.sequences.push(name);
    else if (type !== 'TEMPORARY') inv.tables.push(name);
  }

  const triggers = await run(
    conn,
    `SELECT TRIGGER_NAME AS name, EVENT_OBJECT_TABLE AS tbl FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ${s}
     ORDER BY EVENT_OBJECT_TABLE, ACTION_TIMING DESC, EVENT_MANIPULATION, ACTION_ORDER`,
  );
  for (const row of triggers) {
    const table = text(row, 'tbl');
    if (options.tables && !options.tables.has(table)) continue;
    const [def] = await run(conn, `SHOW CREATE TRIGGER ${quoteId(text(row, 'name'))}`);
    if (!def) continue;
    inv.triggers.push({
      name: text(row, 'name'),
      table,
      sql: text(def, 'SQL Original Statement'),
      context: contextOf(def),
    });
  }
  if (options.tables) return inv;

  const sameNamedObject = [...inv.tables, ...inv.sequences, ...viewNames].includes(schema);
  for (const name of viewNames) {
    const [def] = await run(conn, `SHOW CREATE VIEW ${quoteId(name)}`);
    if (!def) continue;
    const sql = withoutSchemaQualifier(text(def, 'Create View'), schema, sameNamedObject);
    inv.views.push({ name, sql, context: { ...contextOf(def), sqlMode: '' } });
  }

  const routines = await run(
    conn,
    `SELECT ROUTINE_NAME AS name, ROUTINE_TYPE AS type FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ${s} ORDER BY ROUTINE_TYPE, ROUTINE_NAME`,
  );
  for (const row of routines) {
    const type = text(row, 'type') === 'FUNCTION' ? 'FUNCTION' : 'PROCEDURE';
    const name = text(row, 'name');
    const [def] = await run(conn, `SHOW CREATE ${type} ${quoteId(name)}`);
    // SHOW CREATE returns NULL text when the user may not read the body (needs SHOW CREATE ROUTINE / ownership).
    const sql = def ? text(def, type === 'FUNCTION' ? 'Create Function' : 'Create Procedure') : '';
    if (sql === '') {
      const message = `cannot read the definition of ${type.toLowerCase()} ${quoteId(schema)}.${quoteId(name)} (it belongs to another user; SELECT on mysql.proc allows reading it)`;
      if (!options.warnings) throw new Error(message);
      options.warnings.push(`${message}: it could not be put back if the restore had to be undone`);
    }
    inv.routines.push({ name, type, sql, context: def ? contextOf(def) : { sqlMode: '', characterSetClient: '', collationConnection: '' } });
  }

  const events = await run(conn, `SELECT EVENT_NAME AS name FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ${s} ORDER BY EVENT_NAME`);
  for (const row of events) {
    const name = text(row, 'name');
    const def = await showCreateEvent(conn, name);
    if (def) inv.events.push(def);
  }
  return inv;
}

export async function showCreateEvent(conn: RawConnection, name: string): Promise<ObjectDefinition | null> {
  const [def] = await run(conn, `SHOW CREATE EVENT ${quoteId(name)}`);
  if (!def) return null;
  return { name, sql: text(def, 'Create Event'), context: { ...contextOf(def), timeZone: text(def, 'time_zone') } };
}

function contextOf(row: Record<string, unknown>): CreationContext {
  return {
    sqlMode: text(row, 'sql_mode'),
    characterSetClient: text(row, 'character_set_client'),
    collationConnection: text(row, 'collation_connection'),
  };
}

/** Counts for RestoreResult. */
export function countObjects(inv: SchemaInventory): {
  tables: number;
  views: number;
  triggers: number;
  routines: number;
  events: number;
  sequences: number;
} {
  return {
    tables: inv.tables.length,
    views: inv.views.length,
    triggers: inv.triggers.length,
    routines: inv.routines.length,
    events: inv.events.length,
    sequences: inv.sequences.length,
  };
}
