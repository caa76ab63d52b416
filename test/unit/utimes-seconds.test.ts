import { mkdtempSync, statSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { utimesSeconds } from '../../src/archive/extract.js';

describe('utimesSeconds', () => {
  it('sets a nanosecond mtime to within 0.12 µs, and a restored time stays put however often it is restored again', () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'lifeboat-utimes-'));
    const mtime = () => statSync(folder, { bigint: true }).mtimeNs;
    for (const original of [1796484467029867655n, 1796483639737867655n, 1000000000999999999n, 1700000000000000001n]) {
      utimesSync(folder, 1, utimesSeconds(original));
      const restored = mtime();
      const error = restored > original ? restored - original : original - restored;
      expect(error).toBeLessThanOrEqual(120n);
      for (let round = 0; round < 5; round++) utimesSync(folder, 1, utimesSeconds(mtime()));
      expect(mtime()).toBe(restored);
    }
  });
});
