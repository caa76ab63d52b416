// Gives the restored views, triggers, routines and events the owners they had in the backup. The staging
// load creates them all as the restoring user (a DEFINER naming another account needs SUPER or SET USER,
// which a shop's user lacks); before the swap creates them in the shop, each staged definition gets the
// owner the backup recorded (definers.ts) where the restoring user may set it: it is that account, or it
// has SUPER / SET USER and the account exists on this server (an object whose owner is missing fails
// whenever it is used: error 1449). The others stay the restoring user's, and one warning names them.
import { definerKey, formatAccount, parseAccount, sameAccount, withDefiner, type Account, type DefinerMap, type OwnedKind } from './definers.js';
import { quoteId } from './restore-parse.js';
import type { ObjectDefinition, SchemaInventory } from './restore-inventory.js';
import { maySetDefiners, readPrivileges } from './restore-privileges.js';
import { quoteString, run, type RawConnection } from './restore-session.js';

/** A staged object and the name its owner is recorded under. */
interface Owned {
  kind: OwnedKind;
  def: ObjectDefinition;
}

function stagedObjects(staged: SchemaInventory): Owned[] {
  return [
    ...staged.views.map((def) => ({ kind: 'view' as const, def })),
    ...staged.triggers.map((def) => ({ kind: 'trigger' as const, def })),
    ...staged.routines.map((def) => ({ kind: def.type === 'FUNCTION' ? ('function' as const) : ('procedure' as const), def })),
    ...staged.events.map((def) => ({ kind: 'event' as const, def })),
  ];
}

/** True, false, or undefined when the user may not read the account list. */
async function accountExists(conn: RawConnection, account: Account): Promise<boolean | undefined> {
  try {
    const rows = await run(conn, `SELECT 1 AS found FROM mysql.user WHERE User = ${quoteString(account.user)} AND Host = ${quoteString(account.host)}`);
    return rows.length > 0;
  } catch {
    return undefined;
  }
}

/** Why `owner` cannot be given back (undefined: it can). */
async function whyNotOwner(conn: RawConnection, owner: Account, current: Account, maySet: () => Promise<boolean>): Promise<string | undefined> {
  if (sameAccount(owner, current)) return undefined;
  if (!(await maySet())) return 'setting another owner needs SUPER or SET USER';
  const exists = await accountExists(conn, owner);
  if (exists === false) return 'no such account on this server';
  if (exists === undefined) return 'whether the account exists cannot be read here (SELECT on mysql.user)';
  return undefined;
}

/**
 * Sets the owner of every staged definition that has one on record (the dump's own DEFINER clauses,
 * else the manifest's), in place, where the restoring user may; returns the one warning that names the
 * objects left to the restoring user (none when there are none).
 */
export async function giveBackOwners(conn: RawConnection, staged: SchemaInventory, current: Account, recorded: DefinerMap): Promise<string[]> {
  let maySet: boolean | undefined;
  const maySetOnce = async () => (maySet ??= maySetDefiners(await readPrivileges(conn, current)));
  const reasons = new Map<string, string | undefined>(); // per owner, found once
  const refused = new Map<string, string[]>(); // owner -> objects left to the restoring user
  for (const { kind, def } of stagedObjects(staged)) {
    const owner = recorded[definerKey(kind, def.name)];
    if (owner === undefined) continue; // no record: the restoring user owns it, as it always did
    if (!reasons.has(owner)) reasons.set(owner, await whyNotOwner(conn, parseAccount(owner), current, maySetOnce));
    if (reasons.get(owner) === undefined) {
      def.sql = withDefiner(def.sql, parseAccount(owner));
    } else {
      def.sql = withDefiner(def.sql, current);
      refused.set(owner, [...(refused.get(owner) ?? []), `${kind} ${quoteId(def.name)}`]);
    }
  }
  if (refused.size === 0) return [];
  const groups = [...refused].map(([owner, objects]) => `${objects.join(', ')} (${owner}: ${reasons.get(owner)})`);
  return [`these objects belong to the restoring user ${formatAccount(current)} instead of their owner in the backup: ${groups.join('; ')}`];
}
