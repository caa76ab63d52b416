// A backup taken with `--strip` holds some tables without their rows, one taken with `--anonymize` holds
// fake personal data. Rolling the live shop back to it empties those tables or overwrites real customers
// with fake ones, so it is done only when asked for twice: the rollback's own confirmation, and this one
// (`--allow-stripped`, the page's second question).
import { UsageError } from '../../shared/errors.js';
import type { BackupRecord } from '../../shared/types.js';

/** The tables a rollback of `record` (of just `tables`, when given) would empty or fill with fake data. */
export function strippedTablesIn(record: BackupRecord, tables?: string[]): string[] {
  const altered = (record.manifest?.tables ?? []).filter((t) => t.stripped || t.anonymized?.length).map((t) => t.name);
  return tables?.length ? altered.filter((name) => tables.includes(name)) : altered;
}

/** How the backup was taken, in the words of its options: `--strip @sales --anonymize`. */
export function alteredBy(record: BackupRecord): string {
  const strip = record.manifest?.strip?.length ? [`--strip ${record.manifest.strip.join(' ')}`] : [];
  return [...strip, ...(record.manifest?.anonymized ? ['--anonymize'] : [])].join(' ');
}

/** Refuses, in one line, a rollback that would empty stripped tables or bring in fake data, unless `allowed`. */
export function requireStrippedConsent(record: BackupRecord, tables: string[] | undefined, allowed: boolean | undefined): void {
  const altered = strippedTablesIn(record, tables);
  if (altered.length === 0 || allowed === true) return;
  const named = altered.length > 5 ? `${altered.slice(0, 5).join(', ')} and ${altered.length - 5} more` : altered.join(', ');
  throw new UsageError(
    `backup ${record.file} was taken with ${alteredBy(record)}: rolling back to it would empty or fill with fake data ${altered.length} table(s) of the live shop (${named}); ` +
      'if that is what you want, confirm it with --allow-stripped (on the page: the second question)',
  );
}
