// Where Lifeboat keeps its own state (users, roles, sessions, audit log, schedule, job history):
// LIFEBOAT_STATE_URL=mysql://user:pass@host:3306/lifeboat puts it in a MySQL/MariaDB schema that several
// servers share; unset, it is the SQLite file <home>/lifeboat.db. The schema must be Lifeboat's own:
// in the shop's database every backup would carry Lifeboat's users and sessions, and a rollback would
// roll them (and the audit log of the rollback itself) back.
import { UsageError } from '../shared/errors.js';
import { redactUrl } from '../shared/redact.js';
import { parseDatabaseUrl, PercentEscapeError, TargetError, type MysqlTarget } from '../engines/target.js';

const EXAMPLE = 'e.g. mysql://lifeboat:secret@127.0.0.1:3306/lifeboat';

export function parseStateSettings(stateUrl: string | undefined, databaseUrl: string | undefined, baseDir: string): { stateTarget?: MysqlTarget } {
  if (stateUrl === undefined) return {};
  let target;
  try {
    target = parseDatabaseUrl(stateUrl, baseDir);
  } catch (error) {
    if (error instanceof PercentEscapeError) throw new UsageError(`LIFEBOAT_STATE_URL: ${error.message}`);
    if (error instanceof TargetError) throw new UsageError(`LIFEBOAT_STATE_URL must be a MySQL/MariaDB URL naming a schema of Lifeboat's own, ${EXAMPLE}; got "${redactUrl(stateUrl)}"`);
    throw error;
  }
  if (target.kind !== 'mysql') {
    throw new UsageError(`LIFEBOAT_STATE_URL must be a MySQL/MariaDB URL, ${EXAMPLE}; for a local SQLite state leave it unset (the state is then <home>/lifeboat.db)`);
  }
  const shop = databaseUrl === undefined ? undefined : safeParse(databaseUrl, baseDir);
  if (shop?.kind === 'mysql' && shop.database === target.database) {
    throw new UsageError(
      `LIFEBOAT_STATE_URL names the shop's own database "${target.database}": every backup would carry Lifeboat's users and sessions and a rollback would roll them back; ` +
        `give Lifeboat a schema of its own (CREATE DATABASE lifeboat CHARACTER SET utf8mb4; GRANT ALL ON lifeboat.* TO '${target.user}'@'%';) and point LIFEBOAT_STATE_URL at it`,
    );
  }
  return { stateTarget: target };
}

/** The shop's target when its URL parses (its own errors are reported where it is used). */
function safeParse(url: string, baseDir: string) {
  try {
    return parseDatabaseUrl(url, baseDir);
  } catch {
    return undefined;
  }
}
