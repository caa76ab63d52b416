// Where things are: the repository (for bin/lifeboat.js and bench/sql), and which standard tools are
// installed. A missing tool is reported, and its runs skipped, never an error.
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/** The folder holding Lifeboat's package.json (searched upwards from this file, in bench/ or dist/bench/). */
export function repoRoot(): string {
  if (root) return root;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'lifeboat') return (root = dir);
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('cannot find the lifeboat repository above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

export function lifeboatBin(): string {
  return path.join(repoRoot(), 'bin', 'lifeboat.js');
}

/** Full path of a command on PATH, or undefined. */
export function which(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const file = path.join(dir, command);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

export interface Tools {
  /** mariadb-dump or mysqldump */
  dump?: string;
  /** mariadb or mysql */
  client?: string;
  gzip?: string;
  pigz?: string;
  zstd?: string;
  mydumper?: string;
  myloader?: string;
  tar?: string;
  /** restic, the incremental section's reference */
  restic?: string;
  /** GNU time, for the peak RSS and CPU of a process */
  time?: string;
  versions: Record<string, string>;
}

/** "name version" from a tool's --version output. */
function version(command: string, args: string[]): string {
  let text: string;
  try {
    text = execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    text = e.stdout || e.stderr || '';
  }
  const line = text.split('\n')[0].trim();
  const name = path.basename(command);
  const distrib = /Distrib ([^,\s]+)/.exec(line);
  if (distrib) return `${name} ${distrib[1]}`;
  const v = /(\d+\.\d+(?:\.\d+)?)/.exec(line);
  return v ? `${name} ${v[1]}` : line.slice(0, 60);
}

export function findTools(): Tools {
  const tools: Tools = {
    dump: which('mariadb-dump') ?? which('mysqldump'),
    client: which('mariadb') ?? which('mysql'),
    gzip: which('gzip'),
    pigz: which('pigz'),
    zstd: which('zstd'),
    mydumper: which('mydumper'),
    myloader: which('myloader'),
    tar: which('tar'),
    restic: which('restic'),
    time: existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined,
    versions: {},
  };
  const versionArgs: [keyof Tools, string[]][] = [
    ['dump', ['--version']],
    ['pigz', ['--version']],
    ['mydumper', ['--version']],
    ['tar', ['--version']],
    ['gzip', ['--version']],
    ['zstd', ['--version']],
    ['restic', ['version']],
  ];
  for (const [key, args] of versionArgs) {
    const file = tools[key];
    if (typeof file === 'string') tools.versions[path.basename(file)] = version(file, args);
  }
  tools.versions.node = `node ${process.version}`;
  return tools;
}

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  platform: string;
}

export function machine(): Machine {
  const cpus = os.cpus();
  return {
    cpus: os.availableParallelism?.() ?? cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    platform: `${os.type()} ${os.release()}`,
  };
}
