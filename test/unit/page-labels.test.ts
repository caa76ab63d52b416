// The admin page's words for jobs and backups (src/web/labels.js), read from the API's job records:
// each job is named by its `name` field (its backup's name), never by its description or file name.
import { describe, expect, it } from 'vitest';
// @ts-expect-error -- the page's plain JavaScript module has no type declarations
import { backupLabel, jobTitle, shortTime } from '../../src/web/labels.js';

const TIME = 1764000000; // 24 Nov 2025, 16:00 UTC

describe("the page's labels", () => {
  it('names a backup job by its type and the name the backup gets', () => {
    expect(jobTitle({ kind: 'backup', type: 'system', name: 'full_snapshot', description: 'backup system "full snapshot!"' })).toBe('System backup “full snapshot”');
    expect(jobTitle({ kind: 'backup', type: 'db', name: '', description: 'backup db "not this"' })).toBe('Database backup');
  });

  it('names a verify by the time, type and name of its backup', () => {
    const file = `${TIME}_db_second_one.sql.zst`;
    expect(jobTitle({ kind: 'verify', type: 'db', name: 'second_one', file, description: `verify ${file}` })).toBe(`Verify of ${shortTime(TIME * 1000)} Database backup “second one”`);
  });

  it('names a rollback by the time, type and name of its backup, never its file name', () => {
    const file = `${TIME}_db_before_upgrade.sql.gz`;
    const when = shortTime(TIME * 1000);
    expect(jobTitle({ kind: 'rollback', type: 'db', name: 'before_upgrade', file, description: `rollback ${file}` })).toBe(`Rollback to ${when} Database backup “before upgrade”`);
    expect(jobTitle({ kind: 'rollback', type: 'db', file, description: `rollback ${file} (tables sales_order, customer)` })).toBe(
      `Rollback to ${when} Database backup “before upgrade” (tables sales_order, customer)`,
    );
    expect(jobTitle({ kind: 'rollback', type: 'system', file: `${TIME}_snapshot.tar.zst`, description: 'x' })).toBe(`Rollback to ${when} System backup`);
    // A job of an earlier version, without the name field: the archive's name part.
    expect(jobTitle({ kind: 'rollback', type: 'db', file, description: 'x' })).toBe(`Rollback to ${when} Database backup “before upgrade”`);
    expect(jobTitle({ kind: 'rollback', type: 'system', file: `${TIME}_snapshot.tgz`, description: `rollback ${TIME}_snapshot.tgz (paths app/etc/env.php)` })).toBe(
      `Rollback to ${when} System backup (paths app/etc/env.php)`,
    );
    // A file name of no known shape: the description is all there is.
    expect(jobTitle({ kind: 'rollback', type: 'db', file: 'dump.sql', description: 'rollback dump.sql' })).toBe('rollback dump.sql');
  });

  it('says a time short, with the year only when it is not this one', () => {
    expect(shortTime(new Date(2025, 10, 24, 9, 5))).toBe(new Date().getFullYear() === 2025 ? '24 Nov 09:05' : '24 Nov 2025 09:05');
    expect(shortTime(new Date(new Date().getFullYear(), 0, 3, 23, 59))).toBe('3 Jan 23:59');
  });

  it('labels a backup row for its actions', () => {
    expect(backupLabel({ type: 'nomedia', name: 'before_the_upgrade', time: TIME })).toBe(`System backup without media “before the upgrade” of ${shortTime(TIME * 1000)}`);
    expect(backupLabel({ type: 'media', name: '', time: TIME })).toBe(`Database and Media backup of ${shortTime(TIME * 1000)}`);
  });
});
