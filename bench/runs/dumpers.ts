// One dump by each contestant: Lifeboat's CLI (gzip or zstd), mysqldump piped into gzip, pigz or zstd, mydumper. Each returns
// its measured sample (time, output size, RSS, CPU); output paths are chosen by the caller.
import { rm, unlink } from 'node:fs/promises';
import { failureLine, shell } from '../proc.js';
import { lifeboatArgv, lifeboatEnv, measure, parseBackupJson, sh, sizeOf, type BackupJson, type Context } from '../context.js';
import type { Sample } from '../results.js';
import { clientEnv, clientFlags } from '../server.js';

export interface LifeboatDump {
  sample: Sample;
  backup?: BackupJson;
}

/** `lifeboat backup db --json` of `database` into the temp folder's backups/ (or `backupDir`), in gzip or `compression`. */
export async function lifeboatDump(ctx: Context, database: string, backupDir?: string, compression?: 'zstd'): Promise<LifeboatDump> {
  const args = ['backup', 'db', '--json', ...(compression ? ['--compression', compression] : [])];
  const { result, sample } = await measure(ctx, lifeboatArgv(...args), lifeboatEnv(ctx, database, undefined, backupDir));
  const backup = result.code === 0 ? parseBackupJson(result.stdout) : undefined;
  if (!backup) return { sample: { ...sample, ok: false, note: result.code === 0 ? 'no JSON record printed' : failureLine(result) } };
  return { sample: { ...sample, bytes: backup.size }, backup };
}

/** Removes a Lifeboat archive and its manifest (older runs' archives are not needed). */
export async function removeBackup(backup: BackupJson): Promise<void> {
  await unlink(backup.path).catch(() => undefined);
  await unlink(backup.path + '.manifest.json').catch(() => undefined);
}

export type Compressor = 'gzip' | 'pigz' | 'zstd';

/** How each compressor is run: gzip's default level, pigz and zstd on the 2 cores (zstd at its default level). */
const COMPRESSOR_ARGS: Record<Compressor, string[]> = { gzip: ['-6'], pigz: ['-6', '-p', '2'], zstd: ['-3', '-T2', '-q'] };

/** `mysqldump --single-transaction --quick --routines --triggers DB | gzip -6 > out` (or pigz -6 -p 2, zstd -3 -T2). */
export async function mysqldumpPipe(ctx: Context, database: string, compressor: Compressor, out: string): Promise<Sample> {
  const { dump } = ctx.tools;
  const z = ctx.tools[compressor];
  if (!dump || !z) throw new Error(`${compressor} or mysqldump is not installed`);
  const args = [dump, ...clientFlags(ctx.server), '--single-transaction', '--quick', '--routines', '--triggers', database];
  const zArgs = [z, ...COMPRESSOR_ARGS[compressor]];
  const script = `${args.map(sh).join(' ')} | ${zArgs.map(sh).join(' ')} > ${sh(out)}`;
  await rm(out, { force: true });
  const { result, sample } = await measure(ctx, shell(script), clientEnv(ctx.server));
  if (result.code !== 0) return { ...sample, ok: false, note: failureLine(result) };
  return { ...sample, bytes: await sizeOf(out) };
}

/**
 * `mydumper -t 2 -c` (with `-r 250000` when chunked) into an empty folder. Triggers, routines and events
 * are asked for (-G -R -E), as the other contestants dump them too.
 */
export async function mydumper(ctx: Context, database: string, dir: string, chunked: boolean): Promise<Sample> {
  const bin = ctx.tools.mydumper;
  if (!bin) throw new Error('mydumper is not installed');
  await rm(dir, { recursive: true, force: true });
  const argv = [bin, ...clientFlags(ctx.server), ...(ctx.server.password ? ['-p', ctx.server.password] : [])];
  argv.push('-B', database, '-o', dir, '-t', '2', '-c', '-G', '-R', '-E', ...(chunked ? ['-r', '250000'] : []));
  const { result, sample } = await measure(ctx, argv, clientEnv(ctx.server));
  if (result.code !== 0) return { ...sample, ok: false, note: failureLine(result) };
  return { ...sample, bytes: await sizeOf(dir) };
}
