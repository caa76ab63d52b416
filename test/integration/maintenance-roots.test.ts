// Maintenance mode on several shop roots (one per web node, LIFEBOAT_MAINTENANCE_ROOTS): on and off
// everywhere, all or nothing when one root fails, and a job's maintenance window on every root.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runJob } from '../../src/core/jobs/jobs.js';
import { allowListPath, flagPath } from '../../src/core/maintenance/maintenance.js';
import { enterMaintenanceOnAll, maintenanceRootsOf, setMaintenanceOnAll } from '../../src/core/maintenance/roots.js';
import { loadSettings } from '../../src/config/settings.js';
import { runCli } from '../helpers/cli.js';

async function roots(count: number): Promise<string[]> {
  const base = await mkdtemp(path.join(tmpdir(), 'lifeboat-roots-'));
  const made: string[] = [];
  for (let i = 1; i <= count; i++) {
    const root = path.join(base, `web${i}`);
    await mkdir(path.join(root, 'var'), { recursive: true });
    made.push(root);
  }
  return made;
}

const flagsOn = (list: string[]) => list.map((root) => existsSync(flagPath(root)));

/** A backup job in maintenance mode on every root, whose work is `work`. */
function maintenanceJob(list: string[], work: () => void) {
  return runJob({
    home: path.join(list[0], 'var', 'lifeboat'),
    root: list[0],
    maintenanceRoots: list,
    kind: 'backup',
    type: 'db',
    description: 'backup db',
    trigger: 'cli',
    maintenance: true,
    work: async () => work(),
  });
}

describe('maintenance on several roots', () => {
  it('reads LIFEBOAT_MAINTENANCE_ROOTS (comma or colon separated) with LIFEBOAT_ROOT first, each once', async () => {
    const [a, b, c] = await roots(3);
    const settings = loadSettings({ LIFEBOAT_ROOT: a, LIFEBOAT_MAINTENANCE_ROOTS: `${b},${c}:${a}` }, '/');
    expect(maintenanceRootsOf(settings)).toEqual([a, b, c]);
    expect(maintenanceRootsOf(loadSettings({ LIFEBOAT_ROOT: a }, '/'))).toEqual([a]);
  });

  it('turns maintenance on and off on every root through the CLI, with the allow-list', async () => {
    const [a, b, c] = await roots(3);
    const env = { LIFEBOAT_ROOT: a, LIFEBOAT_MAINTENANCE_ROOTS: `${b}:${c}` };
    const on = await runCli(['maintenance', 'on', '--allow', '203.0.113.7'], env);
    expect(on.stderr).toBe('');
    expect(on.code).toBe(0);
    expect(flagsOn([a, b, c])).toEqual([true, true, true]);
    for (const root of [a, b, c]) expect(await readFile(allowListPath(root), 'utf8')).toBe('203.0.113.7');
    const status = JSON.parse((await runCli(['maintenance', 'status', '--json'], env)).stdout);
    expect(status).toMatchObject({ on: true, roots: [{ root: a, on: true }, { root: b, on: true }, { root: c, on: true }] });
    expect((await runCli(['maintenance', 'off'], env)).code).toBe(0);
    expect(flagsOn([a, b, c])).toEqual([false, false, false]);
  });

  it('changes nothing when one root fails, and says which', async () => {
    const [a, b, c] = await roots(3);
    await writeFile(flagPath(a), ''); // a was already on, set by hand
    await mkdir(flagPath(c)); // c cannot take a flag file: its place is a folder
    await expect(setMaintenanceOnAll([a, b, c], true)).rejects.toThrow(new RegExp(`could not turn maintenance on on ${c}: .*; the other roots were put back as they were`));
    expect(flagsOn([a, b])).toEqual([true, false]);
    expect(await readFile(flagPath(a), 'utf8')).toBe('');

    await expect(setMaintenanceOnAll([a, b, c], false)).rejects.toThrow(`could not turn maintenance off on ${c}`);
    expect(flagsOn([a, b])).toEqual([true, false]); // a's flag is back

    const cli = await runCli(['maintenance', 'on'], { LIFEBOAT_ROOT: b, LIFEBOAT_MAINTENANCE_ROOTS: c });
    expect(cli.code).toBe(1);
    expect(cli.stderr.trim().split('\n')).toHaveLength(1);
    expect(cli.stderr).toContain(`could not turn maintenance on on ${c}`);
    expect(existsSync(flagPath(b))).toBe(false);
  });

  it('refuses a root that does not exist before touching any', async () => {
    const [a] = await roots(1);
    const missing = path.join(path.dirname(a), 'not-mounted');
    const cli = await runCli(['maintenance', 'on'], { LIFEBOAT_ROOT: a, LIFEBOAT_MAINTENANCE_ROOTS: missing });
    expect(cli.code).toBe(2);
    expect(cli.stderr).toContain(`maintenance root ${missing} does not exist or is not a folder`);
    expect(existsSync(flagPath(a))).toBe(false);
    expect(existsSync(missing)).toBe(false);
  });

  it("puts every root into maintenance for a job and restores each afterwards", async () => {
    const [a, b, c] = await roots(3);
    await writeFile(flagPath(b), ''); // on by hand: stays on
    let during: boolean[] = [];
    await maintenanceJob([a, b, c], () => {
      during = flagsOn([a, b, c]);
    });
    expect(during).toEqual([true, true, true]);
    expect(flagsOn([a, b, c])).toEqual([false, true, false]);
  });

  it('a job whose maintenance fails on one root fails before any work and leaves the others as they were', async () => {
    const [a, b, c] = await roots(3);
    await rm(path.join(c, 'var'), { recursive: true });
    await writeFile(path.join(c, 'var'), 'not a folder'); // c's flag cannot be written
    const lease = enterMaintenanceOnAll([a, b, c], 'jx');
    await expect(lease).rejects.toThrow(`could not turn maintenance on on ${c}`);
    expect(flagsOn([a, b])).toEqual([false, false]);
    let worked = false;
    const job = maintenanceJob([a, b, c], () => {
      worked = true;
    });
    await expect(job).rejects.toThrow(`could not turn maintenance on on ${c}`);
    expect(worked).toBe(false);
    expect(flagsOn([a, b])).toEqual([false, false]);
    const jobs = JSON.parse((await runCli(['jobs', '--json'], { LIFEBOAT_ROOT: a })).stdout);
    expect(jobs[0]).toMatchObject({ state: 'failed' });
  });
});
