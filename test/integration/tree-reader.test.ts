// The tree is read on a worker thread for a backup (walk, small files read whole, in batches whose
// buffers go back and forth) and on the calling thread when a test hook runs before each file: both
// must give the same tar stream, byte for byte, on real files of every kind and size, over many batches.
import { randomBytes } from 'node:crypto';
import { link, mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { FrameWriter } from '../../src/archive/codec/frame-writer.js';
import { gzip as gzipCodec } from '../../src/archive/codec/gzip.js';
import { packTree, type PackOptions, type PackResult } from '../../src/archive/pack-tree.js';
import { readTar } from '../../src/archive/tar-reader.js';
import { TarWriter } from '../../src/archive/tar-writer.js';
import { TreeRules } from '../../src/archive/tree-rules.js';
import { estimateTree } from '../../src/archive/tree-estimate.js';
import { startTreeRead } from '../../src/archive/tree-reader.js';

/** Packs `root` into an in-memory .tgz; returns the gunzipped tar stream and the pack's result. */
async function pack(root: string, options: Partial<PackOptions> = {}): Promise<{ tar: Buffer; result: PackResult }> {
  const members: Buffer[] = [];
  const gzip = new FrameWriter({ write: async (member) => void members.push(member) }, gzipCodec, { level: 1 });
  const writer = new TarWriter(gzip);
  const result = await packTree(root, writer, { rules: new TreeRules({ scope: 'all', globs: ['*.skip'] }), ...options });
  await writer.finish();
  await gzip.finish();
  return { tar: gunzipSync(Buffer.concat(members)), result };
}

describe('reading a tree on a worker thread', () => {
  let root: string;
  const contents = new Map<string, Buffer>();

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'lifeboat-reader-'));
    // 700 files in 30 folders: several batches of 256 records and of 1 MiB.
    for (let dir = 0; dir < 30; dir++) {
      await mkdir(path.join(root, 'app', `m${dir}`, 'etc'), { recursive: true });
      for (let i = 0; i < 23; i++) {
        const rel = `app/m${dir}/etc/f${i}.${i % 5 === 0 ? 'jpg' : 'xml'}`;
        const data = i % 5 === 0 ? randomBytes(20_000 + i * 3000) : Buffer.from(`<config id="${dir}-${i}">${'x'.repeat(i * 97)}</config>\n`);
        contents.set(rel, data);
        await writeFile(path.join(root, rel), data);
      }
    }
    const sizes: Record<string, number> = { 'big.bin': 3 * (1 << 20) + 17, 'exactly-small.bin': 1 << 20, 'one-past.bin': (1 << 20) + 1, 'empty.txt': 0 };
    for (const [name, size] of Object.entries(sizes)) {
      contents.set(name, randomBytes(size));
      await writeFile(path.join(root, name), contents.get(name) as Buffer);
    }
    await writeFile(path.join(root, 'left-out.skip'), 'not in the archive');
    await symlink('app/m1', path.join(root, 'shortcut'));
    await link(path.join(root, 'app/m0/etc/f1.xml'), path.join(root, 'hardlinked.xml'));
  });

  it('gives the same tar stream as reading on this thread, with every file whole', async () => {
    const onWorker = await pack(root);
    const onThisThread = await pack(root, { beforeFile: () => undefined });
    expect(onWorker.tar.equals(onThisThread.tar)).toBe(true);
    expect(onWorker.result).toEqual(onThisThread.result);
    expect(onWorker.result.counts).toMatchObject({ files: 30 * 23 + 4, hardlinks: 1, symlinks: 1, dirs: 1 + 30 * 2 });
    expect(onWorker.result.warnings).toEqual([]);

    const found = new Map<string, { type: string; data: Buffer; linkname?: string }>();
    for await (const member of readTar((async function* () {
      yield onWorker.tar;
    })())) {
      const chunks: Buffer[] = [];
      for await (const chunk of member.body) chunks.push(chunk);
      found.set(member.header.path, { type: member.header.type, data: Buffer.concat(chunks), linkname: member.header.linkname });
    }
    for (const [rel, data] of contents) expect(found.get(rel)?.data.equals(data), rel).toBe(true);
    expect(found.has('left-out.skip')).toBe(false);
    expect(found.get('shortcut')).toMatchObject({ type: 'symlink', linkname: 'app/m1' });
    // The second name of the hard-linked file (in walk order: app/ comes first) is a link member.
    expect(found.get('hardlinked.xml')).toMatchObject({ type: 'hardlink', linkname: 'app/m0/etc/f1.xml' });
  });

  it('stops the worker and rejects when the backup is cancelled', async () => {
    const controller = new AbortController();
    const packing = pack(root, { signal: controller.signal, onProgress: () => controller.abort() });
    await expect(packing).rejects.toThrow(/abort/i);
  });

  it("counts the tree on the reading's thread as the estimate's own thread does", async () => {
    const rules = new TreeRules({ scope: 'all', globs: ['*.skip'] });
    const estimateRules = new TreeRules({ scope: 'all', globs: ['*.jpg'] });
    const read = startTreeRead(root, { rules }, estimateRules);
    const { result } = await pack(root, { read });
    expect(result.counts.files).toBe(30 * 23 + 4);
    const counted = await read.estimate;
    expect(counted).toEqual(await estimateTree(root, { rules: estimateRules }));
    // The count took its own rules: the .jpg files left out, the .skip file in.
    expect(counted).toMatchObject({ entries: 1 + 30 * 2 + 30 * 23 - 30 * 5 + 4 + 1 + 1 + 1 });
  });

  it('gives no estimate once the reading was closed unread', async () => {
    const read = startTreeRead(root, { rules: new TreeRules({ scope: 'all' }) }, new TreeRules({ scope: 'all' }));
    await read.close();
    expect(await read.estimate).toBeUndefined();
  });
});
