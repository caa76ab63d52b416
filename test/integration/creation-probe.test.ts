// An extraction skips a chmod and a chown per file when the probe says a new file already comes out
// with the mode and owner asked for; what the probe answers must be what the filesystem really does
// (umask, setgid folders), and a mode it cannot create exactly must still end up right.
import { chmod, chown, lstat, mkdir, mkdtemp, readdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createsExactly, createsOwnedBy, makesFolderExactly, probeCreation } from '../../src/archive/creation-probe.js';
import { TreeWriterThread } from '../../src/archive/tree-writer.js';

const isRoot = process.getuid?.() === 0;

describe('what a new file comes out as', () => {
  let root: string;

  // In the run's temporary folder, which the test run removes at its end (test/helpers/temp-root.ts).
  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'lifeboat-probe-'));
  });

  it("reports the process's owner and the umask's bits, and leaves no probe file behind", async () => {
    const dir = path.join(root, 'plain');
    await mkdir(dir);
    const creation = probeCreation([dir]);
    const umask = process.umask(0o022);
    process.umask(umask);
    expect(creation).toEqual({ uid: process.getuid?.(), gid: process.getgid?.(), removedBits: umask, setgid: false });
    expect(await readdir(dir)).toEqual([]);
    expect(createsExactly(creation, 0o644 & ~umask)).toBe(true);
    expect(createsExactly(creation, 0o4755)).toBe(false); // setuid: always a chmod
    expect(createsExactly(undefined, 0o644)).toBe(false);
    expect(createsOwnedBy(creation, creation?.uid ?? -1, creation?.gid ?? -1)).toBe(true);
    expect(createsOwnedBy(creation, 12345, creation?.gid ?? -1)).toBe(false);
    expect(makesFolderExactly(creation, 0o755 & ~umask)).toBe(true);
    expect(makesFolderExactly(creation, 0o555)).toBe(false); // not writable while it is filled
    expect(makesFolderExactly(creation, 0o1777)).toBe(false);
  });

  it.runIf(isRoot)("reports a setgid folder's group, and no answer when two folders differ", async () => {
    const shared = path.join(root, 'shared');
    const plain = path.join(root, 'plain2');
    await mkdir(shared);
    await mkdir(plain);
    await chown(shared, 0, 4321);
    await chmod(shared, 0o2770);
    expect(probeCreation([shared])).toMatchObject({ gid: 4321, setgid: true });
    // A folder made in a setgid folder is setgid too: never made "exactly".
    expect(makesFolderExactly(probeCreation([shared]), 0o750)).toBe(false);
    expect(probeCreation([shared, plain])).toBeUndefined();
  });

  it('writes every mode exactly, made at once or by a chmod after', async () => {
    const dir = path.join(root, 'modes');
    await mkdir(dir);
    const creation = probeCreation([dir]);
    const writer = new TreeWriterThread(isRoot, creation);
    const modes = [0o644, 0o600, 0o444, 0o755, 0o777, 0o666, 0o2755, 0o4750, 0o1644, 0o000];
    const owner = isRoot ? { uid: 4321, gid: 8765 } : { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
    try {
      for (const [i, mode] of modes.entries()) {
        // Every other file asks for another owner than the process's (root only).
        const ids = i % 2 && isRoot ? owner : { uid: creation?.uid ?? 0, gid: creation?.gid ?? 0 };
        await writer.writeFile(path.join(dir, `f${i}`), { mode, ...ids, mtime: 1_700_000_000 }, [Buffer.from(`file ${i}`)], `file ${i}`.length);
      }
      await writer.drain();
    } finally {
      await writer.close();
    }
    for (const [i, mode] of modes.entries()) {
      const info = await lstat(path.join(dir, `f${i}`));
      expect(info.mode & 0o7777, `f${i}`).toBe(mode);
      if (isRoot) expect([info.uid, info.gid], `f${i}`).toEqual(i % 2 ? [owner.uid, owner.gid] : [creation?.uid, creation?.gid]);
      expect((await stat(path.join(dir, `f${i}`))).size).toBe(`file ${i}`.length);
    }
  });
});
