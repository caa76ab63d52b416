// What every section of the bench shares: options, server, temp folder, tools, and one way to run a
// measured command (its own time, RSS and CPU, and the database server's CPU meanwhile).
import { stat, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Tools } from './env.js';
import { lifeboatBin } from './env.js';
import type { BenchOptions } from './options.js';
import { run, ServerCpu, type RunResult } from './proc.js';
import { sampleOf, type Sample } from './results.js';
import type { Scratch } from './scratch.js';
import { lifeboatUrl, openConnection, type Server } from './server.js';

export interface Context {
  options: BenchOptions;
  server: Server;
  scratch: Scratch;
  tools: Tools;
  serverCpu: ServerCpu;
  /** Progress line on stderr. */
  log: (message: string) => void;
  /** measure() takes only the wall time (see RunOptions.wallOnly): no peak RSS, no CPU of the command. */
  wallOnly?: boolean;
}

export interface Measured {
  result: RunResult;
  sample: Sample;
}

/** Runs a command measured; the working folder is the temp folder unless given. */
export async function measure(ctx: Context, argv: string[], env: NodeJS.ProcessEnv = {}, cwd?: string): Promise<Measured> {
  // Untimed: what earlier runs wrote and the kernel has not yet written back is written now, so a run
  // that flushes its own files to disk (a rollback does, before its swap) does not also pay for theirs.
  await run(['sync'], { cwd: cwd ?? ctx.scratch.dir });
  const before = ctx.serverCpu.read();
  const result = await run(argv, { env, cwd: cwd ?? ctx.scratch.dir, timeBin: ctx.tools.time, tmpDir: ctx.scratch.dir, wallOnly: ctx.wallOnly });
  const after = ctx.serverCpu.read();
  return { result, sample: sampleOf(result, before !== undefined && after !== undefined ? after - before : undefined) };
}

/** A fresh database holding one small table, `flag`, with `rows` rows. */
export async function oneTableDatabase(ctx: Context, purpose: string, rows = 1): Promise<string> {
  const db = await ctx.scratch.freshDatabase(purpose);
  const conn = await openConnection(ctx.server, { database: db });
  try {
    await conn.query('CREATE TABLE flag (flag_id int unsigned NOT NULL PRIMARY KEY, flag_code varchar(255) NOT NULL) ENGINE=InnoDB');
    const values = Array.from({ length: rows }, (_, i) => `(${i + 1}, 'bench${i > 0 ? `_${i + 1}` : ''}')`);
    await conn.query(`INSERT INTO flag VALUES ${values.join(', ')}`);
  } finally {
    await conn.end();
  }
  return db;
}

/** Quotes one word for bash. */
export function sh(word: string): string {
  return /^[A-Za-z0-9_\-./=:@,+]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * `bin/lifeboat.js ...args`, run as a command, as a user runs `lifeboat`: its first lines start Node with
 * the flags Lifeboat wants (see there), which `node bin/lifeboat.js` would leave out. The `node` it
 * starts is the first on PATH, where the bench puts its own (main.ts).
 */
export function lifeboatArgv(...args: string[]): string[] {
  return [lifeboatBin(), ...args];
}

/**
 * Lifeboat's settings for one database (and optionally a shop root): everything it writes goes under the
 * temp folder. Runs happen in the temp folder, so no lifeboat.config.* of the working folder is read.
 */
export function lifeboatEnv(ctx: Context, database: string | undefined, root?: string, backupDir = 'backups'): NodeJS.ProcessEnv {
  return {
    ...(database ? { LIFEBOAT_DATABASE_URL: lifeboatUrl(ctx.server, database) } : {}),
    LIFEBOAT_ROOT: root ?? ctx.scratch.path('lifeboat-root'),
    LIFEBOAT_BACKUP_DIR: ctx.scratch.path(backupDir),
    LIFEBOAT_HOME: ctx.scratch.path('lifeboat-home'),
    // Empty: a LIFEBOAT_CONFIG of the user's environment must not point the runs elsewhere.
    LIFEBOAT_CONFIG: '',
  };
}

/** Size of a file, or the total size of the files in a folder. */
export async function sizeOf(target: string): Promise<number> {
  const info = await stat(target);
  if (!info.isDirectory()) return info.size;
  let total = 0;
  for (const entry of await readdir(target, { withFileTypes: true })) {
    total += entry.isDirectory() ? await sizeOf(path.join(target, entry.name)) : (await stat(path.join(target, entry.name))).size;
  }
  return total;
}

/** The record `backup ... --json` prints (the fields the bench uses). */
export interface BackupJson {
  id: string;
  file: string;
  path: string;
  size: number;
  /** Uncompressed SQL bytes (database backups). */
  sqlBytes?: number;
  /** Path of the database dump inside a system backup. */
  dump?: string;
}

export function parseBackupJson(stdout: string): BackupJson | undefined {
  const line = stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
  if (!line) return undefined;
  try {
    const parsed = JSON.parse(line) as Partial<BackupJson>;
    return typeof parsed.id === 'string' && typeof parsed.path === 'string' ? (parsed as BackupJson) : undefined;
  } catch {
    return undefined;
  }
}
