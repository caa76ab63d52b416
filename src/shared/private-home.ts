// Lifeboat's home (LIFEBOAT_HOME) holds the state database (password hashes, sessions, notification
// settings), the key that seals stored secrets, the job lock and rollback journals: nothing in it is for
// any other local user. The shop's web server needs nothing from it either (Magento's maintenance flag
// lives in the shop's own var/, not here). So the folder is made 0700 and Lifeboat's files in it 0600,
// whatever the umask (a mode given at creation can only lose bits to it). A home that an older version
// made readable is tightened once, with a warning saying what changed.
import { chmodSync, closeSync, lstatSync, mkdirSync, openSync, readdirSync } from 'node:fs';
import path from 'node:path';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Bits that let the group or others in. */
const SHARED_BITS = 0o077;

/**
 * What Lifeboat keeps in its home: the SQLite state and its journals, the job lock (and a stale one
 * moved aside), rollback journals (and a half-written one), the key of the stored secrets.
 */
const LIFEBOAT_FILE = /^(lifeboat\.db(-wal|-shm|-journal)?|job\.lock(\.stale-[0-9a-f]+)?|rollback-.+\.journal\.json(\.partial)?|secrets\.key(\.partial-[0-9a-f]+)?)$/;

/** Creates the home 0700 if it is missing. Its parents get the usual modes: they are the shop's (var/). */
export function makePrivateHome(home: string): void {
  mkdirSync(path.dirname(home), { recursive: true });
  try {
    mkdirSync(home, { mode: PRIVATE_DIR_MODE });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

/** Creates `file` empty and 0600 unless it exists, so whatever writes it next (SQLite) writes a private file. */
export function createPrivateFile(file: string): void {
  closeSync(openSync(file, 'a', PRIVATE_FILE_MODE));
}

interface ModeChange {
  name: string;
  from: number;
  to: number;
}

/**
 * Takes group and other access away from an existing home and Lifeboat's files in it. Returns warning
 * lines saying what was changed (none when all was private already, so the warning shows once). A folder
 * that also holds files of others (LIFEBOAT_HOME pointed at a shared folder) keeps its mode: only
 * Lifeboat's own files in it are tightened.
 */
export function tightenPrivateHome(home: string): string[] {
  let names: string[];
  try {
    names = readdirSync(home);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const ours = names.filter((name) => LIFEBOAT_FILE.test(name));
  const foreign = names.filter((name) => !LIFEBOAT_FILE.test(name));
  const changes: ModeChange[] = [];
  const failures: string[] = [];
  const tighten = (file: string, name: string, mode: number) => {
    try {
      const change = tightenOne(file, name, mode);
      if (change) changes.push(change);
    } catch (error) {
      failures.push(`${name} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
  };
  if (foreign.length === 0) tighten(home, 'the folder', PRIVATE_DIR_MODE);
  for (const name of ours) tighten(path.join(home, name), name, PRIVATE_FILE_MODE);
  return [
    ...(changes.length ? [describeChanges(home, changes)] : []),
    ...(foreign.length && isShared(home) ? [`Lifeboat's home ${home} also holds files that are not Lifeboat's (${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? ', ...' : ''}) and is readable by other users; its mode was left alone: give LIFEBOAT_HOME a folder of its own`] : []),
    ...(failures.length ? [`could not make ${failures.join(', ')} in Lifeboat's home ${home} private; run Lifeboat as the owner of that folder, or run: chmod -R go-rwx ${home}`] : []),
  ];
}

/** Removes group and other bits from one file or folder; undefined when it had none (or is a symlink). */
function tightenOne(file: string, name: string, mode: number): ModeChange | undefined {
  const stat = lstatSync(file);
  if (stat.isSymbolicLink() || (stat.mode & SHARED_BITS) === 0) return undefined;
  chmodSync(file, stat.isDirectory() ? PRIVATE_DIR_MODE : mode);
  return { name, from: stat.mode & 0o777, to: stat.isDirectory() ? PRIVATE_DIR_MODE : mode };
}

function isShared(home: string): boolean {
  return (lstatSync(home).mode & SHARED_BITS) !== 0;
}

function describeChanges(home: string, changes: ModeChange[]): string {
  const list = changes.map((c) => `${c.name} ${octal(c.from)} -> ${octal(c.to)}`).join(', ');
  return `Lifeboat's home ${home} was readable by other users; made it private: ${list} (it holds password hashes, sessions and settings; no other user, the web server's included, needs it)`;
}

const octal = (mode: number) => `0${mode.toString(8)}`;
