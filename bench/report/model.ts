// Everything a bench run reports: what printed as tables, and what --json prints as one object.
import type { Machine } from '../env.js';
import type { GeneratedTree } from '../files/gen-tree.js';
import type { Section } from '../options.js';
import type { IncrementalSpace } from '../runs/incremental.js';
import type { Check, Summary } from '../results.js';
import type { ShopCounts } from '../shop/counts.js';
import type { TextCounts } from '../shop/text-data.js';
import type { InfoRatio, Target } from './targets.js';

export interface LockRow {
  label: string;
  lifeboat: boolean;
  skipped?: string;
  /** Slowest single write statement over all runs, ms. */
  maxMs?: number;
  p99Ms?: number;
  statements?: number;
  errors?: number;
  dumpSeconds?: number;
}

export interface BenchReport {
  startedAt: string;
  seconds: number;
  command: string;
  options: { scale: number; treeScale: number; runs: number; only: Section[] };
  machine: Machine;
  /** 1-minute load average when the run (this scale) started and when it ended. */
  load: { before: number; after: number };
  /** `binlog`: the binary log's format, or 'off'; `own`: the bench started this server itself. */
  server: { version: string; address: string; innodbBufferPool: number; binlog: string; own: boolean };
  tools: Record<string, string>;
  shop?: { counts: ShopCounts; dataBytes: number; indexBytes: number; generateSeconds: number; sqlBytes?: number };
  tree?: GeneratedTree;
  dump?: Summary[];
  restore?: Summary[];
  treeBackup?: Summary[];
  treeRestore?: Summary[];
  /** Issue 23: incremental backups against restic on a tree of their own (bench/runs/incremental.ts). */
  incremental?: {
    tree: GeneratedTree;
    /** Files each round changed (1 %: a third edited, a third added, a third removed). */
    changedFiles: number;
    firstBackup: Summary[];
    secondBackup: Summary[];
    space: IncrementalSpace;
    restore: Summary[];
    /** The highest peak RSS of Lifeboat's untimed runs (round setups, space rounds). */
    untimedPeakRss?: number;
  };
  locks?: LockRow[];
  tables?: { summaries: Summary[]; lifeboatPerTableMs?: number; mysqldumpPerTableMs?: number };
  /** The dump contestants on the text-heavy database (bench/runs/text.ts). */
  text?: {
    counts: TextCounts;
    rows: number;
    dataBytes: number;
    indexBytes: number;
    generateSeconds: number;
    /** Uncompressed SQL of Lifeboat's dump. */
    sqlBytes?: number;
    summaries: Summary[];
  };
  /** Issue 20: whole commands on a one-table database, against `node -e 0` and the standard tools. */
  startup?: {
    /** Runs of each contestant (at least 10, whatever --runs says). */
    runs: number;
    summaries: Summary[];
    /** Ratios shown with no bound (the bounded ones are in `targets`). */
    ratios: InfoRatio[];
    /** 1-minute load average before and after the section. */
    load: { before: number; after: number };
  };
  targets: Target[];
  /** Ratios with no bound shown beside the targets (the tree rollback against tar -xzf into an empty folder). */
  ratios?: InfoRatio[];
  checks: Check[];
  notes: string[];
}
