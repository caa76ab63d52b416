// A job's progress and log lines are reported by synchronous callbacks (the engines' progress
// listener, the job context's log), while the state store is asynchronous (it may be a MySQL server).
// This queue writes them in order in the background; the job waits for it before recording its end.
// A write that fails does not fail the job: it is reported once as a notice.
import type { StateStore } from '../../state/state.js';

export class StateWrites {
  private chain: Promise<void> = Promise.resolve();
  private reported = false;

  constructor(
    private readonly store: StateStore,
    private readonly notice: (line: string) => void,
  ) {}

  add(write: (store: StateStore) => Promise<void>): void {
    this.chain = this.chain
      .then(() => write(this.store))
      .catch((error: unknown) => {
        if (this.reported) return;
        this.reported = true;
        this.notice(`could not record the job's progress in Lifeboat's state: ${(error as Error).message}`);
      });
  }

  /** Resolves when every write added so far is done. */
  settled(): Promise<void> {
    return this.chain;
  }
}
