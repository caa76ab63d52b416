// A one-line progress bar on stderr, drawn only on a terminal and in the human log format: bytes, rows, current table, rate, ETA.
import type { Progress, ProgressListener } from '../engines/engine.js';
import { logFormat } from '../shared/log.js';
import { humanBytes, humanDuration } from './format.js';

export interface ProgressBar {
  listener: ProgressListener | undefined;
  /** Clears the line so the next output starts clean. */
  done(): void;
}

export function progressBar(enabled: boolean, stream: NodeJS.WriteStream = process.stderr): ProgressBar {
  // The json log has no place for a redrawn line: there a job logs its progress itself (src/core/jobs/log.ts).
  if (!enabled || !stream.isTTY || logFormat() === 'json') return { listener: undefined, done: () => undefined };
  const started = Date.now();
  let lastDraw = 0;
  let drawn = false;
  let phase = '';
  let phaseStarted = started;
  const draw = (p: Progress) => {
    const now = Date.now();
    if (p.phase !== phase) {
      phase = p.phase;
      phaseStarted = now;
    }
    if (now - lastDraw < 100) return;
    lastDraw = now;
    const seconds = Math.max((now - phaseStarted) / 1000, 0.001);
    const rate = p.bytes / seconds;
    const rowRate = p.rows / seconds;
    // Bytes give the truest fraction; a row estimate (dumps) is the next best.
    const fraction = p.totalBytes ? p.bytes / p.totalBytes : p.totalRows ? p.rows / p.totalRows : undefined;
    const remaining = p.totalBytes ? (p.totalBytes - p.bytes) / rate : p.totalRows ? (p.totalRows - p.rows) / rowRate : undefined;
    const parts = [p.phase.padEnd(8)];
    if (fraction !== undefined) {
      const clamped = Math.min(Math.max(fraction, 0), 1);
      const width = 20;
      const filled = Math.round(clamped * width);
      parts.push(`[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(clamped * 100).toFixed(0).padStart(3)}%`);
    }
    parts.push(humanBytes(p.bytes));
    if (p.rows) parts.push(`${p.rows.toLocaleString('en')} rows`);
    parts.push(`${humanBytes(rate)}/s`);
    if (remaining !== undefined && Number.isFinite(remaining)) parts.push(`ETA ${humanDuration(Math.max(remaining, 0))}`);
    if (p.table) parts.push(p.table);
    const columns = stream.columns ?? 100;
    stream.write(`\r${parts.join('  ').slice(0, columns - 1)}\x1b[K`);
    drawn = true;
  };
  return {
    listener: draw,
    done: () => {
      if (drawn) stream.write('\r\x1b[K');
    },
  };
}
