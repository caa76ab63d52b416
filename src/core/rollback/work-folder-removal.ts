// The detached process of background-removal.ts: waits until its parent has written its identity into
// the rollback's journal (the parent then sends GO and closes the pipe), removes the work folders the
// journal names, and removes the journal. It runs at a lower CPU priority than the shop and the next job.
// On any failure it leaves the journal as it is: its process is then dead, and the next job's recovery
// finishes the removal (or says why it cannot).
import { readFile } from 'node:fs/promises';
import { setPriority } from 'node:os';
import { GO } from './background-removal.js';
import { RollbackJournal, type JournalState } from './journal.js';
import { removeWorkFoldersOf } from './recover.js';
import { reachedStep } from './step-pause.js';

async function readStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  return text;
}

async function removeWorkFolders(file: string): Promise<void> {
  if ((await readStdin()) !== GO) return; // the parent failed before handing the journal over
  const state = JSON.parse(await readFile(file, 'utf8')) as JournalState;
  if (state.process.pid !== process.pid || !state.removingWorkFolders || !state.files) return;
  try {
    setPriority(10);
  } catch {
    // not allowed: remove at the normal priority
  }
  await reachedStep('removing-work-folders');
  await removeWorkFoldersOf(state.files, []);
  await RollbackJournal.resume(file, state).finish();
}

removeWorkFolders(process.argv[2] ?? '').catch(() => {
  process.exitCode = 1;
});
