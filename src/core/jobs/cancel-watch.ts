// A job that runs inside `lifeboat serve` cannot be signalled (that would stop the whole server), so
// `lifeboat cancel` records the request in the state instead, and the server looks there for its own
// jobs once a second: the job then stops as when Cancel is pressed on the page.
import type { StateStore } from '../../state/state.js';

const WATCH_MS = 1000;

/** Aborts `controller` once someone asked job `jobId` to stop; call the returned function to stop watching. */
export function watchCancelRequests(store: StateStore, jobId: string, controller: AbortController): () => void {
  let checking = false;
  const timer = setInterval(() => {
    if (checking || controller.signal.aborted) return;
    checking = true;
    store
      .cancelRequestOf(jobId)
      .then((by) => {
        if (by) controller.abort(new Error(`cancelled by ${by}`));
      })
      // A state that cannot be read now is read again at the next tick; the job goes on meanwhile.
      .catch(() => undefined)
      .finally(() => (checking = false));
  }, WATCH_MS);
  timer.unref();
  return () => clearInterval(timer);
}
