// The staged files that are the shop's own, hard-linked (live-reuse.ts), checked again just before the
// swap. The shop runs on while a rollback stages: a write into a reused file would land in the restored
// tree too, so any reused file whose ctime moved since its link refuses the rollback (nothing changed
// yet). Files renamed over or removed in the shop are no concern: the staged name keeps the old file.
import { lstatSync } from 'node:fs';
import type { ReuseLogData } from './live-reuse.js';

/** A ctime (as plain stats' ctimeMs) a staged file went from and to by this extraction's own doing (a hard link made to it). */
export interface CtimeStep {
  path: string;
  before: number;
  after: number;
}

/** How many changed files a refusal names. */
const NAMED = 3;

export class ReusedFiles {
  static readonly none = new ReusedFiles({ count: 0, bytes: 0, dirs: [], paths: new ArrayBuffer(0), ctimes: new ArrayBuffer(0) });
  private readonly steps = new Map<string, CtimeStep[]>();

  /** `steps`: in order, the ctimes staged files got from the archive's hard links to them (not the shop's doing). */
  constructor(
    private readonly log: ReuseLogData,
    steps: readonly CtimeStep[] = [],
  ) {
    for (const step of steps) this.steps.set(step.path, [...(this.steps.get(step.path) ?? []), step]);
  }

  /** Files reused. */
  get count(): number {
    return this.log.count;
  }

  /** Their bytes (not written again). */
  get bytes(): number {
    return this.log.bytes;
  }

  /**
   * The staged paths of reused files that changed since they were linked (up to a few, and how many in
   * all). A staged file no longer there (the dump moved out, a left-out path removed) is no concern.
   */
  changed(): { count: number; named: string[] } {
    const paths = Buffer.from(this.log.paths);
    const ctimes = new Float64Array(this.log.ctimes);
    const named: string[] = [];
    let count = 0;
    for (let i = 0, from = 0; i < this.log.count; i++) {
      const to = paths.indexOf(0, from + 1); // after the target's number, which may be 0 too
      const staged = `${this.log.dirs[paths[from]]}/${paths.toString('utf8', from + 1, to)}`;
      from = to + 1;
      const info = lstatSync(staged, { throwIfNoEntry: false });
      if (!info || info.ctimeMs === this.expected(staged, ctimes[i])) continue;
      count++;
      if (named.length < NAMED) named.push(staged);
    }
    return { count, named };
  }

  /** The ctime a staged file should have: its ctime after the reuse, moved on by the hard links made to it since. */
  private expected(staged: string, linked: number): number {
    let ctime = linked;
    for (const step of this.steps.get(staged) ?? []) if (step.before === ctime) ctime = step.after;
    return ctime;
  }
}
