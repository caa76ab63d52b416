import { describe, expect, it } from 'vitest';
import { zstd } from '../../src/archive/codec/zstd.js';
import { archiveFileName, filterBackupName, parseArchiveFileName } from '../../src/core/naming.js';

describe('backup names', () => {
  it('filters names as Magento does', () => {
    expect(filterBackupName('before upgrade 2.4.7!')).toBe('before_upgrade_247');
    expect(filterBackupName('  ümlaut & co  ')).toBe('mlaut_co');
    expect(filterBackupName('x'.repeat(80))).toHaveLength(50);
    expect(filterBackupName('')).toBe('');
  });

  it('builds and parses archive file names', () => {
    expect(archiveFileName(1732443600, 'db', '')).toBe('1732443600_db.sql.gz');
    expect(archiveFileName(1732443600, 'db', 'before_upgrade')).toBe('1732443600_db_before_upgrade.sql.gz');
    expect(parseArchiveFileName('1732443600_db_before_upgrade.sql.gz')).toEqual({
      time: 1732443600,
      type: 'db',
      name: 'before_upgrade',
      compression: 'gzip',
    });
  });

  it('names zstd archives .sql.zst and .tar.zst, and parses them back', () => {
    expect(archiveFileName(1732443600, 'db', 'nightly', zstd)).toBe('1732443600_db_nightly.sql.zst');
    expect(archiveFileName(1732443600, 'snapshot', '', zstd)).toBe('1732443600_snapshot.tar.zst');
    expect(parseArchiveFileName('1732443600_db_nightly.sql.zst')).toEqual({ time: 1732443600, type: 'db', name: 'nightly', compression: 'zstd' });
    expect(parseArchiveFileName('1732443600_media_x.tar.zst')).toEqual({ time: 1732443600, type: 'media', name: 'x', compression: 'zstd' });
  });

  it('recognises the files Magento itself writes', () => {
    expect(parseArchiveFileName('1500000000_db.sql')).toMatchObject({ type: 'db', compression: 'none' });
    expect(parseArchiveFileName('1500000000_db_nightly.gz')).toMatchObject({ type: 'db', name: 'nightly', compression: 'gzip' });
    expect(parseArchiveFileName('1500000000_snapshot_WebSetupWizard.tgz')).toMatchObject({ type: 'snapshot', name: 'WebSetupWizard' });
    expect(parseArchiveFileName('1500000000_filesystem_code.tgz')).toMatchObject({ type: 'filesystem_code', name: '' });
    expect(parseArchiveFileName('1500000000_nomedia.tgz')).toMatchObject({ type: 'nomedia' });
  });

  it('ignores what is not an archive', () => {
    for (const file of ['notes.txt', '1500000000_db.sql.gz.partial', '1500000000_db.sql.gz.manifest.json', '1500000000_db.tgz', '1500000000_snapshot.sql.gz', 'x_db.sql.gz', '1500000000_db.tar.zst', '1500000000_snapshot.sql.zst', '1500000000_db.zst']) {
      expect(parseArchiveFileName(file), file).toBeUndefined();
    }
  });
});
