// Incremental backups are not copied off-site yet: `upload --missing` leaves them out, `upload ID`
// refuses one in a line, and the list does not call their copy missing.
import { describe, expect, it } from 'vitest';
import { backupsToUpload } from '../../src/repository/offsite-catalog.js';
import type { BackupRecord } from '../../src/shared/types.js';

const record = (file: string, extra: Partial<BackupRecord> = {}): BackupRecord => ({
  id: file.slice(0, 8),
  file,
  type: 'media',
  name: '',
  time: 1764000000,
  size: 100,
  origin: 'lifeboat',
  locations: ['local'],
  ...extra,
});

describe('upload of incremental backups', () => {
  const full = record('1764000000_media.tgz', { id: 'aaaaaaaa', copyMissing: true });
  const incremental = record('1764000001_media.incremental.json', { id: 'bbbbbbbb', copyMissing: true });

  it('leaves them out of --missing', () => {
    expect(backupsToUpload([full, incremental], undefined, 'here')).toEqual([full]);
  });

  it('refuses one named by its id', () => {
    expect(() => backupsToUpload([full, incremental], 'bbbbbbbb', 'here')).toThrow(/is an incremental backup; those are not copied to off-site storage yet/);
  });
});
