// What a command loads: the command line's definitions must not pull in the database driver, the web
// server, the S3 client or the mail client, or every command (cron runs, scripts) pays for them.
import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.js';

const HEAVY = ['mysql2', 'fastify', '@aws-sdk', 'nodemailer', 'yaml'];

// Prints every module URL the process loaded, on stderr, as it exits.
const RECORD_LOADS =
  'data:text/javascript,' +
  encodeURIComponent(
    "import { registerHooks } from 'node:module'; const seen = new Set();" +
      'registerHooks({ load(url, context, next) { seen.add(url); return next(url, context); } });' +
      "process.on('exit', () => process.stderr.write('LOADED ' + JSON.stringify([...seen]) + '\\n'));",
  );

async function loadedBy(args: string[], env: Record<string, string> = {}): Promise<string[]> {
  const cwd = await mkdtemp(path.join(tmpdir(), 'lifeboat-loads-'));
  const { stderr } = await promisify(execFile)(process.execPath, ['--import', RECORD_LOADS, BIN, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: cwd, ...env },
  }).catch((error: { stderr: string }) => error);
  const line = stderr.split('\n').find((l) => l.startsWith('LOADED '));
  if (!line) throw new Error(`no module list in: ${stderr}`);
  return JSON.parse(line.slice('LOADED '.length)) as string[];
}

const packagesIn = (urls: string[]) => HEAVY.filter((name) => urls.some((url) => url.includes(`/node_modules/${name}/`)));

describe('what a command loads', () => {
  it('--help loads no driver, server, S3 or mail client, and none of the backup or rollback code', async () => {
    const urls = await loadedBy(['--help']);
    expect(packagesIn(urls)).toEqual([]);
    expect(urls.filter((url) => /\/dist\/(engines\/mysql|engines\/sqlite|archive|server|catalog)\//.test(url))).toEqual([]);
  });

  it('list of an empty backup folder loads no driver, server, S3 or mail client', async () => {
    const urls = await loadedBy(['list'], { LIFEBOAT_DATABASE_URL: 'sqlite:///nowhere/shop.db' });
    expect(packagesIn(urls)).toEqual([]);
  });
});
