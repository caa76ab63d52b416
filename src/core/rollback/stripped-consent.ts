// A backup taken with `--strip` holds some tables without their rows. Rolling the live shop back to it
// empties those tables (real customers, real orders), so it is done only when asked for twice: the
// rollback's own confirmation, and this one (`--allow-stripped`, the page's second question).
import { UsageError } from '../../shared/errors.js';
import type { BackupRecord } from '../../shared/types.js';

/** The tables a rollback of `record` (of just `tables`, when given) would leave empty because of `--strip`. */
export function strippedTablesIn(record: BackupRecord, tables?: string[]): string[] {
  const stripped = (record.manifest?.tables ?? []).filter((t) => t.stripped).map((t) => t.name);
  return tables?.length ? stripped.filter((name) => tables.includes(name)) : stripped;
}

/** Refuses, in one line, a rollback that would empty stripped tables unless `allowed`. */
export function requireStrippedConsent(record: BackupRecord, tables: string[] | undefined, allowed: boolean | undefined): void {
  const emptied = strippedTablesIn(record, tables);
  if (emptied.length === 0 || allowed === true) return;
  const named = emptied.length > 5 ? `${emptied.slice(0, 5).join(', ')} and ${emptied.length - 5} more` : emptied.join(', ');
  throw new UsageError(
    `backup ${record.file} was taken with --strip ${(record.manifest?.strip ?? []).join(' ')}: rolling back to it would empty ${emptied.length} table(s) of the live shop (${named}); ` +
      'if that is what you want, confirm it with --allow-stripped (on the page: the second question)',
  );
}
