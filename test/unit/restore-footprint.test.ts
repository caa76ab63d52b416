// What a rollback tells and checks before its database restore writes (src/core/rollback/restore-footprint.ts): the
// binary log notice, and free space on this machine's disks for a local server only.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { freeBytes } from '../../src/core/backup/free-space.js';
import { checkRestoreFootprint } from '../../src/core/rollback/restore-footprint.js';
import { RestoreRefusedError } from '../../src/engines/engine.js';

describe('checkRestoreFootprint', () => {
  let dir: string;
  let free: number;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'lifeboat-footprint-'));
    free = await freeBytes(dir);
  });

  it('tells, with the binary log on, how much the load writes to it and that replicas will lag', async () => {
    const notices: string[] = [];
    await checkRestoreFootprint({ binaryLog: true, loadBytes: 3 * 1024 * 1024, stagingBytes: 0 }, (line) => notices.push(line));
    expect(notices).toEqual([
      'the binary log is on: this rollback writes about 3.00 MiB to it (the uncompressed dump), and replicas will lag behind by about the time the load takes',
    ]);
  });

  it('says nothing with the binary log off', async () => {
    const notices: string[] = [];
    await checkRestoreFootprint({ binaryLog: false, loadBytes: 10, stagingBytes: 10, local: { dataDir: dir } }, (line) => notices.push(line));
    expect(notices).toEqual([]);
  });

  it('refuses, in one line naming the folder, a local server whose data folder lacks room for the staging copy', async () => {
    const check = checkRestoreFootprint({ binaryLog: false, stagingBytes: free * 2, local: { dataDir: dir } });
    await expect(check).rejects.toBeInstanceOf(RestoreRefusedError);
    await expect(check).rejects.toThrow(new RegExp(`^not enough free space in ${dir}: the staging copy of the tables needs about .*; free some space there; nothing was changed$`));
  });

  it('adds up the staging copy and the binary log when both are on one filesystem', async () => {
    const each = Math.floor(free * 0.6);
    const binaryLogDir = await mkdtemp(path.join(dir, 'binlog-'));
    const check = checkRestoreFootprint({ binaryLog: true, loadBytes: each, stagingBytes: each, local: { dataDir: dir, binaryLogDir } });
    await expect(check).rejects.toThrow(/the staging copy of the tables with the binary log needs about/);
  });

  it('checks nothing for a remote server, and nothing in a folder this machine does not have', async () => {
    await checkRestoreFootprint({ binaryLog: true, loadBytes: free * 2, stagingBytes: free * 2 });
    await checkRestoreFootprint({ binaryLog: false, stagingBytes: free * 2, local: { dataDir: path.join(dir, 'not-here') } });
  });
});
