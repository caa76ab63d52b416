// The detached process of background-cleanup.ts: waits until its parent has written its identity into
// the rollback's journal (the parent then sends GO and the database target, and closes the pipe), drops
// the old tables the journal's database state names, removes the work folders it names, and removes the
// journal. It runs at a lower CPU priority than the shop and the next job. On any failure it leaves the
// journal as it is: its process is then dead, and the next job's recovery finishes the cleanup (or says
// why it cannot).
import { readFile } from 'node:fs/promises';
import { setPriority } from 'node:os';
import { openEngine } from '../../engines/index.js';
import type { DatabaseTarget } from '../../engines/target.js';
import { GO } from './background-cleanup.js';
import { RollbackJournal, type JournalState } from './journal.js';
import { removeWorkFoldersOf } from './recover.js';
import { reachedStep } from './step-pause.js';

async function readStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  return text;
}

async function cleanUp(file: string): Promise<void> {
  const [go, targetJson] = (await readStdin()).split('\n');
  if (go !== GO) return; // the parent failed before handing the journal over
  const target = JSON.parse(targetJson ?? 'null') as DatabaseTarget | null;
  const state = JSON.parse(await readFile(file, 'utf8')) as JournalState;
  if (state.process.pid !== process.pid || !state.cleaningUp) return;
  try {
    setPriority(10);
  } catch {
    // not allowed: clean up at the normal priority
  }
  await reachedStep('cleaning-up');
  if (state.database && target) await openEngine(target).dropOldTables(state.database);
  if (state.files) await removeWorkFoldersOf(state.files, []);
  await RollbackJournal.resume(file, state).finish();
}

cleanUp(process.argv[2] ?? '').catch(() => {
  process.exitCode = 1;
});
