// What the runs record, and their medians. A run that failed or whose restore did not verify never
// contributes a time: its contestant shows FAILED or MISMATCH instead.
import type { RunResult } from './proc.js';

/** The outcome of checking restored data against the source. */
export type Verification = 'ok' | 'float-loss' | 'mismatch';

export interface Sample {
  seconds: number;
  ok: boolean;
  /** Size of what the run wrote (archive, dump file or folder). */
  bytes?: number;
  peakRss?: number;
  cpuSeconds?: number;
  /** CPU seconds the database server spent during the run. */
  serverCpuSeconds?: number;
  verification?: Verification;
  /**
   * A rollback whose command ends once the shop is whole (a detached process then removes what it
   * replaced): seconds from its start until that removal ended too, waited for untimed.
   */
  untilCleanedSeconds?: number;
  note?: string;
}

export interface Contestant {
  key: string;
  label: string;
  lifeboat: boolean;
  samples: Sample[];
  /** Why it did not run at all (tool not installed, command not there yet). */
  skipped?: string;
}

export type Status = 'ok' | 'skipped' | 'failed' | 'mismatch';

export interface Summary {
  key: string;
  label: string;
  lifeboat: boolean;
  status: Status;
  runs: number;
  /** Medians over the successful, verified runs. */
  seconds?: number;
  minSeconds?: number;
  maxSeconds?: number;
  bytes?: number;
  peakRss?: number;
  cpuSeconds?: number;
  serverCpuSeconds?: number;
  untilCleanedSeconds?: number;
  /** Wall seconds of every counted run, in run order. */
  times?: number[];
  notes: string[];
}

export function contestant(key: string, label: string, lifeboat = false, skipped?: string): Contestant {
  return { key, label, lifeboat, samples: [], ...(skipped ? { skipped } : {}) };
}

/**
 * The contestants in the order of round `round` (from 1): each round starts one further along the list.
 * A machine's state drifts while a section runs (ext4 makes every extraction after a tree's removal
 * slower than the last, InnoDB has more behind it), so a fixed order charges the drift to whoever runs
 * later: rolling back the same 485 MiB tree eight times in a row took 1.2 to 8.0 s of system time, rising
 * run after run whichever archive was rolled back. With one run each, the order is the list's.
 */
export function inTurn<T>(list: readonly T[], round: number): T[] {
  const start = list.length === 0 ? 0 : (round - 1) % list.length;
  return [...list.slice(start), ...list.slice(0, start)];
}

export function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** A sample from a finished command (its time, RSS and CPU); `ok` from its exit code. */
export function sampleOf(result: RunResult, serverCpuSeconds?: number): Sample {
  return {
    seconds: result.seconds,
    ok: result.code === 0,
    ...(result.peakRss !== undefined ? { peakRss: result.peakRss } : {}),
    ...(result.cpuSeconds !== undefined ? { cpuSeconds: result.cpuSeconds } : {}),
    ...(serverCpuSeconds !== undefined ? { serverCpuSeconds } : {}),
  };
}

export function summarize(c: Contestant): Summary {
  const base = { key: c.key, label: c.label, lifeboat: c.lifeboat, runs: c.samples.length };
  if (c.skipped) return { ...base, status: 'skipped', notes: [c.skipped] };
  const notes = [...new Set(c.samples.map((s) => s.note).filter((n): n is string => !!n))];
  const good = c.samples.filter((s) => s.ok && s.verification !== 'mismatch');
  const mismatch = c.samples.some((s) => s.verification === 'mismatch');
  const status: Status = mismatch ? 'mismatch' : good.length === 0 ? 'failed' : 'ok';
  if (status !== 'ok') return { ...base, status, notes };
  const pick = (f: (s: Sample) => number | undefined) => median(good.map(f).filter((v): v is number => v !== undefined));
  const seconds = good.map((s) => s.seconds);
  const failed = c.samples.length - good.length;
  if (failed > 0) notes.push(`${failed} of ${c.samples.length} runs failed`);
  const rss = good.map((s) => s.peakRss).filter((v): v is number => v !== undefined);
  return {
    ...base,
    status,
    seconds: median(seconds),
    minSeconds: Math.min(...seconds),
    maxSeconds: Math.max(...seconds),
    bytes: pick((s) => s.bytes),
    // The peak over all runs, not a median: the target is a ceiling.
    peakRss: rss.length ? Math.max(...rss) : undefined,
    cpuSeconds: pick((s) => s.cpuSeconds),
    serverCpuSeconds: pick((s) => s.serverCpuSeconds),
    untilCleanedSeconds: pick((s) => s.untilCleanedSeconds),
    times: seconds,
    notes,
  };
}

/** A yes/no property the issue asks for (e.g. "the stock client loads Lifeboat's archive"). */
export interface Check {
  name: string;
  pass: boolean | undefined;
  detail: string;
}
