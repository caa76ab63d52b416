// The structure of a content store, checked without reading its blobs: every pack an index names is
// there, of the size the index says, and ends in a blob table that lists the same blobs at the same
// places (pack-writer.ts). Reading and hashing the blobs is verify's other half (the snapshot's tar stream).
// The index files are read a pack at a time (parsed whole, every blob's record was an object, all held at once).
import { open } from 'node:fs/promises';
import path from 'node:path';
import { BlobIndex } from './blob-index.js';
import { readIndexFile } from './index-file.js';
import { readPackTable } from './pack-table.js';
import { indexDirOf, packPathOf, type PackRecord } from './store-layout.js';

/** What is wrong with one pack compared with its index entry, or undefined. */
async function packProblem(storeDir: string, pack: PackRecord): Promise<string | undefined> {
  const handle = await open(packPathOf(storeDir, pack.id), 'r').catch(() => undefined);
  if (!handle) return `pack ${pack.id} is missing`;
  try {
    const { size } = await handle.stat();
    if (size !== pack.size) return `pack ${pack.id} is ${size} bytes, the index says ${pack.size}`;
    const read = await readPackTable(handle, size, pack.id);
    if ('problem' in read) return read.problem;
    const { table } = read;
    if (table.toString('utf8') !== JSON.stringify(pack.blobs)) return `pack ${pack.id}'s blob table differs from the index`;
    return undefined;
  } finally {
    await handle.close();
  }
}

/** Every problem of the store's structure (none: an empty list). */
export async function checkStoreStructure(storeDir: string): Promise<string[]> {
  const problems: string[] = [];
  let index: BlobIndex;
  try {
    index = await BlobIndex.load(storeDir);
  } catch (error) {
    return [(error as Error).message];
  }
  const seen = new Set<string>();
  for (const name of index.files) {
    for await (const pack of readIndexFile(path.join(indexDirOf(storeDir), name), name)) {
      if (seen.has(pack.id)) continue;
      seen.add(pack.id);
      const problem = await packProblem(storeDir, pack);
      if (problem) problems.push(problem);
    }
  }
  return problems;
}
