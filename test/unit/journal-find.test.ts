// Finding rollback journals in Lifeboat's home: one that is gone by the time it is read (a rollback's
// detached cleanup removes its journal at any moment, also between the listing and the read) is not
// "unreadable"; one that holds no journal is.
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findJournals, journalPath } from '../../src/core/rollback/journal.js';

describe('findJournals', () => {
  let home = '';
  afterEach(async () => {
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('skips a journal removed after the folder was listed, and names one it cannot parse', async () => {
    home = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-journals-'));
    // A dangling link is listed by readdir and then not found by the read: as a journal removed in between.
    await symlink(path.join(home, 'removed-meanwhile'), journalPath(home, 'jgone'));
    await writeFile(journalPath(home, 'jbroken'), '{"version": 1, "jobId": ');
    const { found, unreadable } = await findJournals(home);
    expect(found).toEqual([]);
    expect(unreadable).toEqual([journalPath(home, 'jbroken')]);
  });
});
