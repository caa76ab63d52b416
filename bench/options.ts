// `npm run bench -- [options]`: parsing and the help text.
import os from 'node:os';
import { parseArgs } from 'node:util';
import { DEFAULT_SERVER_URL } from './server.js';

export const SECTIONS = ['dump', 'restore', 'tree', 'incremental', 'locks', 'tables', 'text', 'startup'] as const;
export type Section = (typeof SECTIONS)[number];

/** Small enough for the whole bench to take about a minute on 2 cores; --scale 1 is the real workload. */
export const DEFAULT_SCALE = 0.01;

export interface BenchOptions {
  /** The scale of this run (one of `scales`). */
  scale: number;
  /** Every scale asked for (--scale 0.05,0.15,0.5,1): the sections run at each in turn, one report each. */
  scales: number[];
  treeScale: number;
  /** --tree-scale, when given: every scale's tree is that size; otherwise the tree follows --scale. */
  fixedTreeScale?: number;
  runs: number;
  json: boolean;
  only: Set<Section>;
  keep: boolean;
  /** An existing server to use; without it the bench starts its own, binary log on (own-server.ts). */
  url?: string;
  tmp: string;
}

export const HELP = `Usage: npm run bench -- [options]

Generates a Magento-shaped database and file tree, runs Lifeboat (through bin/lifeboat.js) and the
standard tools it finds (mysqldump/mariadb-dump with gzip, pigz and zstd, mydumper/myloader, the mysql client,
tar), alternately, and prints the medians and the ratios of issue 7 with PASS/MISS against their targets;
and issue 20's start-up figures: whole Lifeboat commands on a one-table database against node -e 0.

Options:
  --scale S[,S..]  database size: 1 is ~1 GB of InnoDB data (1 M orders); default ${DEFAULT_SCALE}. A list
                   (0.05,0.15,0.5,1) runs the sections at each scale in turn, each with its own report
  --tree-scale S   file tree size: 1 is ~3.2 GB (100 k text files + 20 k media); default: --scale
  --runs N         runs of each contestant, alternated (A B C, B C A, ...); default 3 (startup: at least 10)
  --only LIST      comma-separated sections: ${SECTIONS.join(',')} (default: all)
                     dump     Lifeboat backup db vs mysqldump|gzip, |pigz, mydumper -c (-r 250000);
                              with zstd vs mysqldump|zstd -3 -T2
                     restore  Lifeboat rollback vs zcat|mysql, myloader -o, all over a full copy of the
                              shop with a few rows changed (every restore verified);
                              from the zstd backup vs from the gzip one
                     tree     Lifeboat backup system vs tar -czf, tar -I pigz; with zstd vs
                              tar -I 'zstd -3 -T2'; its rollback over the full tree (a few files
                              changed) vs by hand: tar -xzf beside, mv swap, rm -rf the old tree;
                              extra: tar -xzf into an empty folder; rollback from .tar.zst vs .tgz
                     incremental
                              Lifeboat backup system --incremental vs restic backup (zstd
                              repository): the first backup, the second after 1 % of the files
                              changed, the size after ten such rounds; its rollback over the full
                              tree vs tar -xzf into an empty folder; extra: restic restore
                     locks    max latency of a shop writing during Lifeboat's dump
                     tables   400 tiny tables: Lifeboat's dump cost per table vs mysqldump's
                     text     a text-heavy database (descriptions, reviews, comments, e-mails; ~4 M
                              rows at scale 1): Lifeboat backup db vs mysqldump|gzip -6, with zstd
                              vs mysqldump|zstd -3 -T2 (archive size and time)
                     startup  whole commands on a one-table database vs node -e 0 (at least 10 runs)
  --json           print the results as one JSON object (progress goes to stderr)
  --keep           keep the temp folder, the lbbench_* databases and the bench's own server's data folder
  --url URL        use this server, mysql://user:password@host:port (e.g. ${DEFAULT_SERVER_URL}), as it is
                   set up; default: $LIFEBOAT_BENCH_URL, or else the bench starts its own MariaDB server
                   from the installed one, with the binary log on as on a shop's primary
  --tmp DIR        where the temp folder is made (default: ${os.tmpdir()})
  -h, --help       this help
`;

export class OptionsError extends Error {}

function number(name: string, value: string | undefined, fallback: number, min: number, max: number, integer = false): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    throw new OptionsError(`--${name} must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}, not "${value}"`);
  }
  return n;
}

/** Parsed options, or null when --help was asked for. */
export function parseOptions(argv: string[]): BenchOptions | null {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        scale: { type: 'string' },
        'tree-scale': { type: 'string' },
        runs: { type: 'string' },
        only: { type: 'string' },
        json: { type: 'boolean' },
        keep: { type: 'boolean' },
        url: { type: 'string' },
        tmp: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new OptionsError((error as Error).message);
  }
  if (values.help) return null;
  const scales = (values.scale ?? String(DEFAULT_SCALE))
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => number('scale', part, DEFAULT_SCALE, 0.0001, 20));
  if (scales.length === 0) throw new OptionsError('--scale names no scale');
  const scale = scales[0];
  const fixedTreeScale = values['tree-scale'] === undefined ? undefined : number('tree-scale', values['tree-scale'], scale, 0.0001, 20);
  const only = new Set<Section>();
  for (const part of (values.only ?? SECTIONS.join(',')).split(',')) {
    const name = part.trim();
    if (name === '') continue;
    if (!(SECTIONS as readonly string[]).includes(name)) throw new OptionsError(`--only: unknown section "${name}"; known: ${SECTIONS.join(', ')}`);
    only.add(name as Section);
  }
  if (only.size === 0) throw new OptionsError(`--only names no section; known: ${SECTIONS.join(', ')}`);
  return {
    scale,
    scales,
    treeScale: fixedTreeScale ?? scale,
    ...(fixedTreeScale !== undefined ? { fixedTreeScale } : {}),
    runs: number('runs', values.runs, 3, 1, 100, true),
    json: values.json ?? false,
    only,
    keep: values.keep ?? false,
    ...((values.url ?? process.env.LIFEBOAT_BENCH_URL) ? { url: values.url ?? process.env.LIFEBOAT_BENCH_URL } : {}),
    tmp: values.tmp ?? os.tmpdir(),
  };
}
