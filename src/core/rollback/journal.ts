// The rollback journal: where a rollback is, written durably before each step that changes the shop, so
// that after a crash at any instruction (kill -9, the OOM killer, a power loss) recovery (recover.ts)
// can make the shop whole again: the backup's state when the commit point was passed, the old one if
// not. One file per rollback job in Lifeboat's home, `rollback-<job>.journal.json`, replaced atomically
// at each step (written beside, flushed, renamed, its folder flushed) and removed once the rollback is
// settled. Lifeboat's home is never touched by a rollback's swap, so the journal survives it.
import { mkdir, readdir, readFile, unlink } from 'node:fs/promises';
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
  /** Set for a restore into another place (`lifeboat restore`): its journal lives apart, and what it restores into. */
  restore?: RestoreMark;
  /**
   * Set when the shop is whole and `process` is a background process removing what the rollback
   * replaced (work folders, old tables): no job waits for it, and recovery finishes it if that process died.
   */
  cleaningUp?: true;
}

/**
 * A restore into another database and folder than the shop's. Its journal is kept apart from the
 * rollbacks' (`<home>/restores/restore-<job>.journal.json`): their recovery settles against the shop's
 * own database, and a restore's must never stand in its way. The target's password is sealed with the
 * stored secrets' key (stored-secrets.ts), so the journal can be read by recovery without holding it in clear.
 */
export interface RestoreMark {
  /** The database restored into, as a URL without its password (describeTarget); absent for files alone. */
  target?: { url: string; sealedPassword?: string };
  /**
   * The folders the restore makes (the target's missing ones, outermost first), recorded before they are
   * made: a restore that ends with the target as it was removes them again (recover.ts).
   */
  folders?: string[];
}

export type JournalKind = 'rollback' | 'restore';

const JOURNAL_PREFIX: Record<JournalKind, string> = { rollback: 'rollback-', restore: 'restore-' };
const JOURNAL_SUFFIX = '.journal.json';
const RESTORES_FOLDER = 'restores';

/** The folder the journals of one kind are in: Lifeboat's home for rollbacks, its `restores` folder for restores. */
export const journalFolder = (home: string, kind: JournalKind) => (kind === 'restore' ? path.join(home, RESTORES_FOLDER) : home);

export const journalPath = (home: string, jobId: string, kind: JournalKind = 'rollback') =>
  path.join(journalFolder(home, kind), `${JOURNAL_PREFIX[kind]}${jobId}${JOURNAL_SUFFIX}`);

export class RollbackJournal {
  private constructor(
    readonly file: string,
    private current: JournalState,
  ) {}

  /**
   * Starts the journal of a rollback job, or with `restore` of a restore into another place (before anything
   * is staged; the folders it names are made then).
   */
  static async begin(home: string, jobId: string, backup: JournalState['backup'], restore?: RestoreMark): Promise<RollbackJournal> {
    const state: JournalState = {
      version: 1,
      jobId,
      process: currentProcess(),
      backup,
      startedAt: new Date().toISOString(),
      step: 'starting',
      committed: false,
      ...(restore ? { restore } : {}),
    };
    const kind = restore ? 'restore' : 'rollback';
    const journal = new RollbackJournal(journalPath(home, jobId, kind), state);
    makePrivateHome(home);
    await mkdir(journalFolder(home, kind), { recursive: true, mode: 0o700 });
    await journal.write();
    // Made once the journal names them, so that no folder of a restore is ever left unrecorded.
    for (const folder of restore?.folders ?? []) await mkdir(folder, { recursive: true });
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

/** The rollback (or restore) journals in Lifeboat's home; an unreadable one is reported with `state` undefined. */
export async function findJournals(home: string, kind: JournalKind = 'rollback'): Promise<{ found: FoundJournal[]; unreadable: string[] }> {
  const folder = journalFolder(home, kind);
  let names: string[];
  try {
    names = await readdir(folder);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { found: [], unreadable: [] };
    throw error;
  }
  const found: FoundJournal[] = [];
  const unreadable: string[] = [];
  for (const name of names.filter((n) => n.startsWith(JOURNAL_PREFIX[kind]) && n.endsWith(JOURNAL_SUFFIX)).sort()) {
    const file = path.join(folder, name);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      // Settled and removed since the folder was listed (a rollback's detached cleanup ends so, at any
      // moment): gone, not unreadable. A journal is replaced by a rename, so it is never read half written.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      unreadable.push(file);
      continue;
    }
    try {
      const state = JSON.parse(text) as JournalState;
      if (state.version !== 1 || typeof state.jobId !== 'string') throw new Error('unknown format');
      found.push({ file, state, interrupted: isDead(state.process) });
    } catch {
      unreadable.push(file);
    }
  }
  return { found, unreadable };
}
