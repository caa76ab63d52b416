// Where `lifeboat restore` may restore to: another database and another folder than the shop's, checked
// before any work. A target that is the shop itself is what a rollback is for; a folder inside the shop,
// or one holding it, would have the restore's swap replace the shop's files (or the shop's backups).
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { parseDatabaseUrl, TargetError, type DatabaseTarget, type MysqlTarget } from '../../engines/target.js';
import { helperSchemaName } from '../../engines/mysql/helper-schemas.js';
import { UsageError } from '../../shared/errors.js';

/** What a restore must stay away from: the shop's database, root, backup folder and Lifeboat's home. */
export interface ShopPlaces {
  target?: DatabaseTarget;
  root: string;
  backupDir: string;
  home: string;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1']);

/**
 * The same server, as far as can be told from here: a socket and a loopback address are this machine's
 * server (the conservative answer: a second server on this machine is rare, a wrong "no" would be costly).
 */
function sameServer(a: MysqlTarget, b: MysqlTarget): boolean {
  if (a.socketPath && b.socketPath) return a.socketPath === b.socketPath;
  const place = (t: MysqlTarget) => (t.socketPath || LOOPBACK.has(t.host.toLowerCase()) ? 'this machine' : t.host.toLowerCase());
  return place(a) === place(b) && (Boolean(a.socketPath || b.socketPath) || a.port === b.port);
}

/** `--to-database URL`, parsed; refused in one line when it is the shop's database or one of its helper schemas. */
export function restoreTarget(url: string, shop: ShopPlaces): DatabaseTarget {
  let target: DatabaseTarget;
  try {
    target = parseDatabaseUrl(url, process.cwd());
  } catch (error) {
    if (error instanceof TargetError) throw new UsageError(`--to-database: ${error.message}`);
    throw error;
  }
  const own = shop.target;
  if (!own || own.kind !== target.kind) return target;
  if (own.kind === 'sqlite' && target.kind === 'sqlite' && own.path === target.path) {
    throw new UsageError(`--to-database names the shop's own database (${own.path}); to put a backup back into the shop, use lifeboat rollback`);
  }
  if (own.kind === 'mysql' && target.kind === 'mysql' && sameServer(own, target)) {
    if (own.database === target.database) {
      throw new UsageError(`--to-database names the shop's own database (${own.database} on the same server); to put a backup back into the shop, use lifeboat rollback`);
    }
    // The shop's helper schemas share this prefix: its recovery would drop a copy named so.
    if (target.database.startsWith(helperSchemaName(own.database, 'stage', '').slice(0, -'stage_'.length))) {
      throw new UsageError(`--to-database names ${target.database}, a name kept for the shop's helper schemas (${own.database}__lb_...); choose another database name`);
    }
  }
  return target;
}

/** The real path of `dir`, or of its nearest existing parent with the rest appended (a folder to be made). */
async function realPathOf(dir: string): Promise<string> {
  const missing: string[] = [];
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    const real = await realpath(at).catch(() => undefined);
    if (real !== undefined) return path.join(real, ...missing.reverse());
    if (path.dirname(at) === at) return path.resolve(dir);
    missing.push(path.basename(at));
  }
}

const within = (outer: string, inner: string) => inner === outer || inner.startsWith(outer.endsWith(path.sep) ? outer : outer + path.sep);

/**
 * `--to-root DIR`, absolute and real; refused in one line when it is the shop's root, inside it or holds it
 * (or Lifeboat's home or backup folder, wherever they are).
 */
export async function restoreRoot(dir: string, shop: ShopPlaces): Promise<string> {
  const wanted = await realPathOf(dir);
  const [root, backupDir, home] = await Promise.all([realPathOf(shop.root), realPathOf(shop.backupDir), realPathOf(shop.home)]);
  if (within(root, wanted) || within(wanted, root)) {
    const how = wanted === root ? 'is the shop\'s root' : within(root, wanted) ? `is inside the shop's root ${root}` : `holds the shop's root ${root}`;
    throw new UsageError(`--to-root ${dir} ${how}; restore into a folder apart from the shop (to put a backup back into the shop, use lifeboat rollback)`);
  }
  for (const [place, what] of [[backupDir, 'backup folder'], [home, 'home']] as const) {
    if (within(wanted, place) || within(place, wanted)) throw new UsageError(`--to-root ${dir} overlaps Lifeboat's ${what} ${place}; restore into a folder apart from it`);
  }
  return wanted;
}
