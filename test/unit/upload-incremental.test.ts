// Incremental backups are copied off-site like the others: `upload --missing` takes them, and `upload
// ID` of one takes it unless its copy is complete.
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

  it('takes them with --missing', () => {
    expect(backupsToUpload([full, incremental], undefined, 'here')).toEqual([full, incremental]);
  });

  it('takes one named by its id, and none whose copy is complete', () => {
    expect(backupsToUpload([full, incremental], 'bbbbbbbb', 'here')).toEqual([incremental]);
    expect(backupsToUpload([{ ...incremental, locations: ['local', 's3'], copyMissing: undefined }], 'bbbbbbbb', 'here')).toEqual([]);
  });
});
