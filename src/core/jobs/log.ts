// A job's own lines in the json log: its start, its progress (each new phase, then at most every 10 s)
// and its end, with how long it took and how many bytes it moved. The job's id and type come with every
// line logged within it (withLogFields). The human format has none of these lines: there the command
// that started the job reports (a progress bar on a terminal, the result on stdout).
import type { Progress } from '../../engines/engine.js';
import { log } from '../../shared/log.js';
import { humanBytes } from '../../shared/units.js';

const PROGRESS_LOG_INTERVAL_MS = 10_000;

export type JobEnd = 'succeeded' | 'failed' | 'cancelled';

export class JobLog {
  private readonly started = Date.now();
  private phase = '';
  private lastLine = 0;
  /** Bytes of the last progress reported: what a job that failed had got through. */
  private bytesSoFar: number | undefined;

  constructor(
    private readonly jobId: string,
    private readonly description: string,
  ) {}

  start(trigger: string, user?: string): void {
    log.event('info', `job ${this.jobId} started: ${this.description}`, { trigger, ...(user ? { user } : {}) });
  }

  progress(p: Progress): void {
    this.bytesSoFar = p.bytes;
    const now = Date.now();
    if (p.phase === this.phase && now - this.lastLine < PROGRESS_LOG_INTERVAL_MS) return;
    this.phase = p.phase;
    this.lastLine = now;
    const rows = p.rows ? `, ${p.rows.toLocaleString('en')} rows` : '';
    log.event('info', `job ${this.jobId}: ${p.phase} ${humanBytes(p.bytes)}${rows}${p.table ? ` (${p.table})` : ''}`, {
      phase: p.phase,
      bytes: p.bytes,
      rows: p.rows,
      table: p.table,
      totalBytes: p.totalBytes,
    });
  }

  /** `bytes`: the archive written or read; by default what the progress had got to. */
  end(state: JobEnd, detail: { bytes?: number; file?: string; error?: string }): void {
    const bytes = detail.bytes ?? this.bytesSoFar;
    const level = state === 'succeeded' ? 'info' : state === 'cancelled' ? 'warn' : 'error';
    const outcome = state === 'succeeded' ? (detail.file ? `: ${detail.file}` : '') : `: ${detail.error ?? ''}`;
    log.event(level, `job ${this.jobId} ${state}: ${this.description}${outcome}`, {
      state,
      durationMs: Date.now() - this.started,
      bytes,
      file: detail.file,
      error: detail.error,
    });
  }
}
