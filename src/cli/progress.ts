// A one-line progress bar on stderr, drawn only on a terminal: bytes, rows, current table, rate, ETA.
import type { Progress, ProgressListener } from '../engines/engine.js';
import { humanBytes, humanDuration } from './format.js';

export interface ProgressBar {
  listener: ProgressListener | undefined;
  /** Clears the line so the next output starts clean. */
  done(): void;
}

export function progressBar(enabled: boolean, stream: NodeJS.WriteStream = process.stderr): ProgressBar {
  if (!enabled || !stream.isTTY) return { listener: undefined, done: () => undefined };
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
    const parts = [p.phase.padEnd(8)];
    if (p.totalBytes) {
      const fraction = Math.min(p.bytes / p.totalBytes, 1);
      const width = 20;
      const filled = Math.round(fraction * width);
      parts.push(`[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}%`);
    }
    parts.push(humanBytes(p.bytes));
    if (p.rows) parts.push(`${p.rows.toLocaleString('en')} rows`);
    parts.push(`${humanBytes(rate)}/s`);
    if (p.totalBytes && rate > 0) parts.push(`ETA ${humanDuration((p.totalBytes - p.bytes) / rate)}`);
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
