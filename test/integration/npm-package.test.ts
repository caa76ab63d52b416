// The npm package as a user gets it: `npm pack` of a copy of the sources without dist/ (pack runs
// `prepare`, which compiles), then the tarball installed globally into a folder of its own and run
// through npx from an empty folder. Its dependencies come from the registry (the npm cache first).
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startServer } from '../helpers/server.js';

const execFileAsync = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The node running the tests (and its npm) first: the installed command's first line (`exec node ...`) finds it. */
const PATH = `${path.dirname(process.execPath)}:${process.env.PATH ?? ''}`;
const INSTALL_TIMEOUT = 300_000;

/** `npm ARGS` or `npx ARGS`, with the dependencies from the npm cache first. */
async function npm(command: 'npm' | 'npx', args: string[], cwd: string): Promise<string> {
  const { stdout } = await execFileAsync(command, ['--no-audit', '--no-fund', '--prefer-offline', ...args], {
    cwd,
    env: { ...process.env, PATH },
    timeout: INSTALL_TIMEOUT,
    maxBuffer: 64 * 2 ** 20,
  });
  return stdout;
}

describe('the npm package', () => {
  let tarball: string;
  let members: string[];
  const work = mkdtempSync(path.join(tmpdir(), 'lifeboat-npm-'));

  beforeAll(async () => {
    // A checkout as a clean clone has it: the sources, no dist/ (the dependencies are linked).
    const source = path.join(work, 'source');
    mkdirSync(source);
    for (const name of ['package.json', 'package-lock.json', 'README.md', 'bin', 'src', 'tsconfig.json', 'tsconfig.build.json']) {
      cpSync(path.join(ROOT, name), path.join(source, name), { recursive: true });
    }
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(source, 'node_modules'));
    const out = path.join(work, 'out');
    mkdirSync(out);
    await npm('npm', ['pack', '--pack-destination', out], source);
    const [file] = readdirSync(out);
    tarball = path.join(out, file);
    const { stdout } = await execFileAsync('tar', ['-tzf', tarball]);
    members = stdout.trim().split('\n');
  }, INSTALL_TIMEOUT);

  it('holds the compiled code, the page and the README, and no sources, tests or bench', () => {
    for (const file of ['bin/lifeboat.js', 'dist/cli/main.js', 'dist/archive/archive-read-worker.js', 'src/web/index.html', 'src/web/app.js', 'README.md', 'package.json']) {
      expect(members).toContain(`package/${file}`);
    }
    const unwanted = members.filter((m) => /^package\/(test|bench|scripts)\/|^package\/dist\/(bench|sea)\/|^package\/dist\/lifeboat-|\.ts$|\.map$/.test(m));
    expect(unwanted).toEqual([]);
    expect(members.filter((m) => m.startsWith('package/src/') && !m.startsWith('package/src/web/'))).toEqual([]);
  });

  it('installs globally and runs: help, version and the admin page', async () => {
    const prefix = path.join(work, 'global');
    await npm('npm', ['install', '-g', '--prefix', prefix, tarball], work);
    const lifeboat = path.join(prefix, 'bin', 'lifeboat');
    const env = { PATH, LIFEBOAT_ROOT: path.join(work, 'shop') };
    mkdirSync(env.LIFEBOAT_ROOT);
    const help = await runCli(['--help'], env, work, { program: lifeboat });
    expect(help.stderr).toBe('');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: lifeboat \[options\] \[command\]/);
    const { version } = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect((await runCli(['--version'], env, work, { program: lifeboat })).stdout.trim()).toBe(version);
    const server = await startServer(env, [], { program: lifeboat });
    try {
      const page = await fetch(`${server.base}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toBe(await readFile(path.join(ROOT, 'src', 'web', 'index.html'), 'utf8'));
    } finally {
      expect(await server.stop()).toBe(0);
    }
  }, INSTALL_TIMEOUT);

  it('runs through npx from an empty folder', async () => {
    const empty = path.join(work, 'empty');
    mkdirSync(empty);
    // Relative, as a user types it: npx takes an absolute path for a command to run (file:/... works).
    const help = await npm('npx', ['--yes', path.relative(empty, tarball), '--help'], empty);
    expect(help).toMatch(/^Usage: lifeboat \[options\] \[command\]/);
  }, INSTALL_TIMEOUT);
});
