// What the restoring user may do, read before the restore writes anything: its global privileges and
// those on a schema (grants on a name pattern such as `shop\_\_lb\_%` included), from information_schema,
// which shows every user its own grants. Privileges that come through a role do not show there: with a
// role in use the answer is incomplete, and callers then leave the refusal to the server.
import { quoteString, run, text, type RawConnection } from './restore-session.js';
import type { Account } from './definers.js';

export interface Privileges {
  /** Global privileges (`ON *.*`), as information_schema names them: SUPER, SET USER, CREATE, ... */
  global: Set<string>;
  /** False when a role is in use: privileges it brings are not listed, so a missing one proves nothing. */
  complete: boolean;
  /** The privileges that apply to `schema`: global ones and those of every grant whose pattern matches it. */
  onSchema(schema: string): Promise<Set<string>>;
}

/** May create objects owned by another account (MariaDB 10.5+: SET USER; MySQL 8: SET_USER_ID / SET_ANY_DEFINER). */
export function maySetDefiners(privileges: Privileges): boolean {
  return ['SUPER', 'SET USER', 'SET_USER_ID', 'SET_ANY_DEFINER'].some((p) => privileges.global.has(p));
}

/** The GRANTEE column's form of an account: 'user'@'host'. */
function grantee(account: Account): string {
  return quoteString(`'${account.user}'@'${account.host}'`);
}

async function activeRoles(conn: RawConnection): Promise<number> {
  try {
    return (await run(conn, 'SELECT ROLE_NAME FROM information_schema.ENABLED_ROLES WHERE ROLE_NAME IS NOT NULL')).length;
  } catch {
    return 0; // a server without roles
  }
}

export async function readPrivileges(conn: RawConnection, current: Account): Promise<Privileges> {
  const who = grantee(current);
  const rows = await run(conn, `SELECT PRIVILEGE_TYPE AS p FROM information_schema.USER_PRIVILEGES WHERE GRANTEE = ${who}`);
  const global = new Set(rows.map((row) => text(row, 'p')));
  return {
    global,
    complete: (await activeRoles(conn)) === 0,
    onSchema: async (schema) => {
      // The server's own LIKE matches a grant's pattern as the server does (`\_` is a literal underscore).
      const granted = await run(
        conn,
        `SELECT PRIVILEGE_TYPE AS p FROM information_schema.SCHEMA_PRIVILEGES WHERE GRANTEE = ${who} AND ${quoteString(schema)} LIKE TABLE_SCHEMA`,
      );
      return new Set([...global, ...granted.map((row) => text(row, 'p'))]);
    },
  };
}
