import { describe, expect, it } from 'vitest';
import { zstd } from '../../src/archive/codec/zstd.js';
import { archiveFileName, filterBackupName, parseArchiveFileName } from '../../src/repository/naming.js';
import { backupTypeOf, type Manifest } from '../../src/shared/types.js';
import { recordOf } from '../../src/repository/catalog.js';

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
    expect(archiveFileName(1732443600, 'system', '', zstd)).toBe('1732443600_snapshot.tar.zst');
    expect(parseArchiveFileName('1732443600_db_nightly.sql.zst')).toEqual({ time: 1732443600, type: 'db', name: 'nightly', compression: 'zstd' });
    expect(parseArchiveFileName('1732443600_media_x.tar.zst')).toEqual({ time: 1732443600, type: 'media', name: 'x', compression: 'zstd' });
  });

  it('recognises the files Magento itself writes', () => {
    expect(parseArchiveFileName('1500000000_db.sql')).toMatchObject({ type: 'db', compression: 'none' });
    expect(parseArchiveFileName('1500000000_db_nightly.gz')).toMatchObject({ type: 'db', name: 'nightly', compression: 'gzip' });
    expect(parseArchiveFileName('1500000000_snapshot_WebSetupWizard.tgz')).toMatchObject({ type: 'system', name: 'WebSetupWizard' });
    expect(parseArchiveFileName('1500000000_filesystem_code.tgz')).toMatchObject({ type: 'code', name: '' });
    expect(parseArchiveFileName('1500000000_nomedia.tgz')).toMatchObject({ type: 'nomedia' });
  });

  it("names files with Magento's words and reads them back as Lifeboat's one spelling", () => {
    expect(archiveFileName(1732443600, 'system', 'x')).toBe('1732443600_snapshot_x.tgz');
    expect(archiveFileName(1732443600, 'code', '')).toBe('1732443600_filesystem_code.tgz');
    expect(archiveFileName(1732443600, 'nomedia', '')).toBe('1732443600_nomedia.tgz');
    for (const type of ['db', 'media', 'system', 'nomedia', 'code'] as const) {
      expect(parseArchiveFileName(archiveFileName(1732443600, type, 'n'))?.type).toBe(type);
    }
  });

  it('reads the types that manifests of earlier versions spell as the file names do', () => {
    expect([backupTypeOf('snapshot'), backupTypeOf('filesystem_code'), backupTypeOf('filesystem_media')]).toEqual(['system', 'code', 'media']);
    expect([backupTypeOf('system'), backupTypeOf('db'), backupTypeOf('nomedia')]).toEqual(['system', 'db', 'nomedia']);
    expect([backupTypeOf('full'), backupTypeOf(3)]).toEqual([undefined, undefined]);
    const legacy = { id: 'm1', file: '1500000000_snapshot.tgz', type: 'snapshot', name: '', time: 1500000000, archive: { sha256: 'x', size: 1 } } as unknown as Manifest;
    expect(recordOf(legacy, 1).type).toBe('system');
  });

  it('ignores what is not an archive', () => {
    for (const file of ['notes.txt', '1500000000_db.sql.gz.partial', '1500000000_db.sql.gz.manifest.json', '1500000000_db.tgz', '1500000000_snapshot.sql.gz', 'x_db.sql.gz', '1500000000_db.tar.zst', '1500000000_snapshot.sql.zst', '1500000000_db.zst']) {
      expect(parseArchiveFileName(file), file).toBeUndefined();
    }
  });
});
