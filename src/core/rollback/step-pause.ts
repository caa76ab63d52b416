// For the crash tests of rollback and recovery: with LIFEBOAT_PAUSE_AT=STEP (or STEP#N for its N-th time)
// a rollback stops when it reaches that named step, prints "paused at STEP" on stderr and waits there,
// so that a test can kill it with SIGKILL at exactly that point (or change something there and let it go
// on with SIGUSR2); with LIFEBOAT_FAIL_AT=STEP[#N] it fails
// there instead (an in-process failure at that step). Unset, every step passes at once. The steps:
// files-staged, database-staged, file-renamed (each rename of the file swap), files-swapped,
// trigger-dropped, tables-renamed, trigger-created (MySQL), database-committed (SQLite), database-swapped,
// committed, files-settled; cleaning-up (the detached cleanup after a rollback job, background-cleanup.ts);
// drill-restored (a file backup's drill, once its tree is restored, before it is compared).
import { log } from '../../shared/log.js';

const counts = new Map<string, number>();
let countedFor = '';

/** Whether `step` is the one `wanted` (STEP or STEP#N) names, counting the times each step is reached. */
function isWanted(step: string, wanted: string): boolean {
  if (wanted !== countedFor) {
    counts.clear();
    countedFor = wanted;
  }
  const count = (counts.get(step) ?? 0) + 1;
  counts.set(step, count);
  const [name, nth] = wanted.split('#');
  return name === step && count === Number(nth ?? 1);
}

export async function reachedStep(step: string): Promise<void> {
  const pause = process.env.LIFEBOAT_PAUSE_AT;
  const fail = process.env.LIFEBOAT_FAIL_AT;
  const wanted = pause || fail;
  if (!wanted || !isWanted(step, wanted)) return;
  if (!pause) throw new Error(`failing at ${wanted}, as LIFEBOAT_FAIL_AT asks`);
  // A pending promise alone does not keep Node running: the interval does, until the process is killed
  // or resumed. The resuming signal is listened for before the pause is told.
  await new Promise<void>((resolve) => {
    const keepAlive = setInterval(() => undefined, 1 << 30);
    process.once('SIGUSR2', () => {
      clearInterval(keepAlive);
      resolve();
    });
    log.warn(`paused at ${wanted}`);
  });
}
