// The rollback journal: where a rollback is, written durably before each step that changes the shop, so
// that after a crash at any instruction (kill -9, the OOM killer, a power loss) recovery (recover.ts)
// can make the shop whole again: the backup's state when the commit point was passed, the old one if
// not. One file per rollback job in Lifeboat's home, `rollback-<job>.journal.json`, replaced atomically
// at each step (written beside, flushed, renamed, its folder flushed) and removed once the rollback is
// settled. Lifeboat's home is never touched by a rollback's swap, so the journal survives it.
import { readdir, readFile, unlink } from 'node:fs/promises';
import path from 'node:path';
import { syncDirectory, writeFileAtomic } from '../../archive/atomic-file.js';
import type { RecordedSwap, SwapUnit } from '../../archive/tree-swap.js';
import type { RestoreJournal, RestoreState } from '../../engines/engine.js';
import { makePrivateHome, PRIVATE_FILE_MODE } from '../../shared/private-home.js';
import { currentProcess, isDead, type ProcessIdentity } from '../../shared/process-identity.js';
import { reachedStep } from './step-pause.js';
import type { BackupType } from '../../shared/types.js';

/** A folder's metadata to set after the swap (mtime as nanoseconds, in a string). */
export interface StoredFolderMeta {
  path: string;
  uid: number;
  gid: number;
  mode: number;
  mtimeNs: string;
}

export interface FilesJournal {
  /** The work folders, recorded before each is made. */
  units: SwapUnit[];
  /** What the swap will do, recorded before its first rename, and the folders' metadata to set after it. */
  swap?: RecordedSwap & { folderMetas: StoredFolderMeta[] };
  /** Set once the files are settled: 'new' kept (work folders left to remove), 'old' put back. */
  settled?: 'old' | 'new';
  /** Set once the folders' metadata is applied (after 'new'): recovery then only removes the work folders. */
  metasApplied?: true;
}

export interface JournalState {
  version: 1;
  jobId: string;
  process: ProcessIdentity;
  backup: { id: string; file: string; type: BackupType };
  startedAt: string;
  /** The last step reached, in words (what `list` and the page show for an interrupted rollback). */
  step: string;
  files?: FilesJournal;
  /** The database restore's own state (the engine's; see DatabaseEngine.recover). */
  database?: RestoreState;
  /** Set once the shop is wholly the backup's: recovery then finishes instead of undoing. */
  committed: boolean;
  /**
   * Set when the shop is whole and `process` is a background process removing what the rollback
   * replaced (work folders, old tables): no job waits for it, and recovery finishes it if that process died.
   */
  cleaningUp?: true;
}

const JOURNAL_PREFIX = 'rollback-';
const JOURNAL_SUFFIX = '.journal.json';

export const journalPath = (home: string, jobId: string) => path.join(home, `${JOURNAL_PREFIX}${jobId}${JOURNAL_SUFFIX}`);

export class RollbackJournal {
  private constructor(
    readonly file: string,
    private current: JournalState,
  ) {}

  /** Starts the journal of a rollback job (before anything is staged). */
  static async begin(home: string, jobId: string, backup: JournalState['backup']): Promise<RollbackJournal> {
    const state: JournalState = { version: 1, jobId, process: currentProcess(), backup, startedAt: new Date().toISOString(), step: 'starting', committed: false };
    const journal = new RollbackJournal(journalPath(home, jobId), state);
    makePrivateHome(home);
    await journal.write();
    return journal;
  }

  /** The journal of an earlier rollback, to settle it (recovery). */
  static resume(file: string, state: JournalState): RollbackJournal {
    return new RollbackJournal(file, state);
  }

  get state(): JournalState {
    return this.current;
  }

  get jobId(): string {
    return this.current.jobId;
  }

  /** Records a change durably; returns when it would survive a power loss. */
  async update(change: Partial<Omit<JournalState, 'version' | 'jobId'>>): Promise<void> {
    this.current = { ...this.current, ...change };
    await this.write();
  }

  async updateFiles(change: Partial<FilesJournal>): Promise<void> {
    await this.update({ files: { units: [], ...this.current.files, ...change } });
  }

  /** The database engine's view of the journal: its states go into `database`. */
  forDatabase(): RestoreJournal {
    return {
      record: (state) => this.update({ database: state, step: `database: ${state.phase}` }),
      reached: (step) => reachedStep(step),
    };
  }

  /** Removes the journal: the rollback is settled, nothing is left to recover. */
  async finish(): Promise<void> {
    await unlink(this.file).catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? undefined : Promise.reject(error)));
    await syncDirectory(path.dirname(this.file));
  }

  private async write(): Promise<void> {
    // writeFileAtomic refuses to start while an earlier `.partial` exists (a crash mid-write): remove it.
    await unlink(`${this.file}.partial`).catch(() => undefined);
    await writeFileAtomic(this.file, JSON.stringify(this.current), PRIVATE_FILE_MODE);
  }
}

export interface FoundJournal {
  file: string;
  state: JournalState;
  /** Its process is gone: the rollback stopped and was not settled. */
  interrupted: boolean;
}

/** The rollback journals in Lifeboat's home; an unreadable one is reported with `state` undefined. */
export async function findJournals(home: string): Promise<{ found: FoundJournal[]; unreadable: string[] }> {
  let names: string[];
  try {
    names = await readdir(home);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { found: [], unreadable: [] };
    throw error;
  }
  const found: FoundJournal[] = [];
  const unreadable: string[] = [];
  for (const name of names.filter((n) => n.startsWith(JOURNAL_PREFIX) && n.endsWith(JOURNAL_SUFFIX)).sort()) {
    const file = path.join(home, name);
    try {
      const state = JSON.parse(await readFile(file, 'utf8')) as JournalState;
      if (state.version !== 1 || typeof state.jobId !== 'string') throw new Error('unknown format');
      found.push({ file, state, interrupted: isDead(state.process) });
    } catch {
      unreadable.push(file);
    }
  }
  return { found, unreadable };
}
