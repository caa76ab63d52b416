// Owners (DEFINER) of views, triggers, routines and events, as a backup records them and a restore gives
// them back. A dump leaves DEFINER clauses out, so that it loads for any user without SUPER, and records
// each object's owner in the manifest instead: `{ "trigger trg_x": "magento@%" }` (the accounts as
// information_schema shows them). A dump that keeps its clauses (mariadb-dump, --keep-definers, Magento's)
// is its own record.
import { classifyStatement, quoteId } from './restore-parse.js';

/** "kind name" (as definerKey makes it) -> the owner's account, `user@host`. */
export type DefinerMap = Record<string, string>;

export type OwnedKind = 'view' | 'trigger' | 'procedure' | 'function' | 'event';

export interface Account {
  user: string;
  host: string;
}

export function definerKey(kind: OwnedKind, name: string): string {
  return `${kind} ${name}`;
}

/** `user@host` -> its parts; the host is after the last `@` (a user name may hold one, a host may not). */
export function parseAccount(text: string): Account {
  const at = text.lastIndexOf('@');
  return at < 0 ? { user: text, host: '%' } : { user: text.slice(0, at), host: text.slice(at + 1) };
}

export function formatAccount(account: Account): string {
  return `${account.user}@${account.host}`;
}

export function sameAccount(a: Account, b: Account): boolean {
  // Host names compare without case in MariaDB and MySQL; user names do not.
  return a.user === b.user && a.host.toLowerCase() === b.host.toLowerCase();
}

/** Backticks read the same in every sql_mode (string literals do not under NO_BACKSLASH_ESCAPES). */
function definerClause(account: Account): string {
  return `DEFINER=${quoteId(account.user)}@${quoteId(account.host)}`;
}

/**
 * A CREATE statement (as SHOW CREATE prints it) with its owner set to `account`: its DEFINER clause is
 * replaced, or one is added after CREATE [OR REPLACE] [ALGORITHM=...] where it has none.
 */
export function withDefiner(sql: string, account: Account): string {
  const bytes = Buffer.from(sql, 'utf8');
  const clause = Buffer.from(definerClause(account), 'utf8');
  const info = classifyStatement(bytes);
  if (info.definer) {
    const [start, end] = info.definer.range;
    return Buffer.concat([bytes.subarray(0, start), clause, bytes.subarray(end)]).toString('utf8');
  }
  const head = /^\s*CREATE\s+(?:OR\s+REPLACE\s+)?(?:ALGORITHM\s*=\s*\w+\s+)?/i.exec(sql);
  if (!head) return sql;
  return `${sql.slice(0, head[0].length)}${definerClause(account)} ${sql.slice(head[0].length)}`;
}
