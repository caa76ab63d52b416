// The packs an incremental backup needs: those that hold the blobs of its listing and of every file it
// lists (a blob in two packs counts in the one the index names first). What an off-site copy uploads
// and records, so that the copy can be fetched, and pruned, pack by pack without reading listings.
import { stat } from 'node:fs/promises';
import type { BlobReader } from './blob-reader.js';
import { readListing } from './listing.js';
import { packPathOf } from './store-layout.js';

/** A pack a snapshot uses: its id and its size in bytes. */
export interface UsedPack {
  id: string;
  size: number;
}

/** The packs holding the blobs of the listing `listing` and of its files, read through `reader`. */
export async function packsOfSnapshot(storeDir: string, reader: BlobReader, listing: readonly string[]): Promise<UsedPack[]> {
  const ids = new Set<string>();
  const note = (blob: string) => {
    const found = reader.index.find(blob);
    if (!found) throw new Error(`blob ${blob} is not in the incremental store's index`);
    ids.add(found.packId);
  };
  for (const blob of listing) note(blob);
  for await (const entry of readListing(reader, listing)) for (const blob of entry.chunks ?? []) note(blob);
  const packs: UsedPack[] = [];
  for (const id of [...ids].sort()) packs.push({ id, size: (await stat(packPathOf(storeDir, id))).size });
  return packs;
}
