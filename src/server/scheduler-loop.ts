// The scheduler inside `lifeboat serve`: checks the schedule every 30 s (and at once at start-up) and
// runs what is due, exactly as `lifeboat cron` would, one run at a time.
import { StateStore } from '../state/state.js';
import type { Settings } from '../config/settings.js';
import { log } from '../shared/log.js';
import { runScheduledOnce } from '../core/schedule/scheduler.js';

export interface SchedulerLoop {
  stop(): Promise<void>;
}

const TICK_MS = 30_000;

export function startSchedulerLoop(settings: Settings, tickMs = TICK_MS): SchedulerLoop {
  const controller = new AbortController();
  let running: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    running = (async () => {
      const store = StateStore.open(settings);
      try {
        const report = await runScheduledOnce(settings, store, new Date(), { signal: controller.signal, onNotice: log.warn });
        if (report.status === 'succeeded') log.info(`scheduler: ${report.message}`, { status: report.status, occurrence: report.occurrence, file: report.file });
        if (report.status === 'failed') log.error(`scheduler: ${report.message}`, { status: report.status, occurrence: report.occurrence });
      } catch (error) {
        log.error(`scheduler: ${(error as Error).message}`);
      } finally {
        await store.close();
      }
      if (!controller.signal.aborted) timer = setTimeout(tick, tickMs);
    })();
  };
  tick();
  return {
    stop: async () => {
      controller.abort(new Error('the server is stopping'));
      clearTimeout(timer);
      await running;
    },
  };
}
