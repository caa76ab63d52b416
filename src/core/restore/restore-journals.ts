// The journals of restores into another place (journal.ts, RestoreMark): the target they name, with its
// password sealed, and their recovery. Settled at the start of the next `lifeboat restore` and by
// `lifeboat recover`; a restore that cannot be settled is reported and never stops a backup or a
// rollback of the shop, which it does not touch.
import { describeTarget, parseDatabaseUrl, type DatabaseTarget } from '../../engines/target.js';
import { rememberSecret } from '../../shared/redact.js';
import { openSecret, sealSecret, type SecretKeyPlace } from '../stored-secrets.js';
import { findJournals, RollbackJournal, type FoundJournal, type RestoreMark } from '../rollback/journal.js';
import { settleRollback } from '../rollback/recover.js';

/** The field the target's password is sealed for (authenticated data: it cannot pass for another secret). */
const PASSWORD_FIELD = 'restore.target.password';

/** What the journal records of `target`: its URL without the password, the password sealed. */
export async function markOf(place: SecretKeyPlace, target: DatabaseTarget): Promise<RestoreMark> {
  const password = target.kind === 'mysql' && target.password !== '' ? target.password : undefined;
  const sealedPassword = password === undefined ? undefined : await sealSecret(place, PASSWORD_FIELD, password);
  return { target: { url: describeTarget(target), ...(sealedPassword ? { sealedPassword } : {}) } };
}

/** The target a journal names, its password opened with the stored secrets' key. */
async function targetOf(place: SecretKeyPlace, mark: RestoreMark | undefined): Promise<DatabaseTarget | undefined> {
  if (!mark?.target) return undefined;
  const target = parseDatabaseUrl(mark.target.url, '/');
  if (target.kind !== 'mysql' || !mark.target.sealedPassword) return target;
  const password = await openSecret(place, PASSWORD_FIELD, mark.target.sealedPassword);
  rememberSecret(password);
  return { ...target, password };
}

function describe(state: FoundJournal['state']): string {
  return `the restore of ${state.backup.file} into ${state.restore?.target?.url ?? 'another folder'} (job ${state.jobId})`;
}

/**
 * A line for each restore that stopped and was not settled yet (for `list` and the page): its copy may be
 * half restored, and what settles it.
 */
export async function interruptedRestores(home: string): Promise<string[]> {
  const { found, unreadable } = await findJournals(home, 'restore');
  return [
    ...found
      .filter((entry) => entry.interrupted)
      .map(({ state }) => `${describe(state)} was interrupted at "${state.step}" (started ${state.startedAt}): the copy may be half restored until "lifeboat recover" (or the next lifeboat restore) settles it`),
    ...unreadable.map(unreadableLine),
  ];
}

const unreadableLine = (file: string) => `the restore journal ${file} cannot be read: look at it and at the copy it restored into, then remove it by hand`;

/**
 * Settles every restore whose process is gone: the copy becomes wholly the backup's when its commit point
 * had passed, else wholly as it was. `settled`: a line for each thing done; `failed`: a line for each
 * restore that could not be settled (what to do), left for the next attempt.
 */
export async function settleInterruptedRestores(place: SecretKeyPlace): Promise<{ settled: string[]; failed: string[] }> {
  const { found, unreadable } = await findJournals(place.home, 'restore');
  const settled: string[] = [];
  const failed = unreadable.map(unreadableLine);
  for (const entry of found.filter((e) => e.interrupted)) {
    const { state } = entry;
    try {
      const outcome = await settleRollback(RollbackJournal.resume(entry.file, state), await targetOf(place, state.restore));
      const now = outcome.shop === 'new' ? "the backup's" : 'as it was before the restore';
      settled.push(`recovered ${describe(state)}, interrupted at "${state.step}": the copy is ${now}`, ...outcome.done.map((line) => `  ${line}`));
    } catch (error) {
      failed.push(
        `${describe(state)} was interrupted and could not be settled (${(error as Error).message}); fix that and run lifeboat recover, or if that copy is gone for good remove ${entry.file} (the shop itself is not concerned)`,
      );
    }
  }
  return { settled, failed };
}
