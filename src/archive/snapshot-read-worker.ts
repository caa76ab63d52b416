// The worker thread of snapshot-read.ts: an incremental backup's members for a rollback, read here so that
// the rollback's main thread only checks and places them. This thread opens the snapshot (checked
// against its manifest), loads the store's index, reads the listing, and reads every blob of the files'
// data from its pack, decompresses it and checks it against its id (size and sha256), then hands the
// members' headers and their data over: the data of all files back to back, in handover buffers of
// CHUNK bytes (handover.ts), each with the headers of the members that came before its end. On the main
// thread, reading, decompressing and hashing the blobs were most of an incremental rollback's CPU
// (a zstd decompressor made per blob, a buffer per blob for the collector). Here one decompressor is
// driven by hand for all of them, straight into the handover buffer where a blob fits (a blob stored as
// is is read straight into it), and nothing reaches the main thread before it was checked: the first
// damaged or missing blob ends the reading with a BlobDamagedError.
import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { createZstdDecompress, zstdDecompressSync } from 'node:zlib';
import { isUnder } from './tree-rules.js';
import { keptInode } from './live-identity.js';
import { BlobDamagedError, checkedPlain, undecompressable } from './content/blob-codec.js';
import { listingEntries, type ListingEntry } from './content/listing.js';
import { openSnapshot, type OpenedSnapshot } from './content/open-snapshot.js';
import { headerOf, placesOf, type BlobAt } from './content/snapshot-tar.js';
import { packPathOf, type BlobPlace } from './content/store-layout.js';
import { driveByHand, Handover, type DrivenByHand } from './handover.js';
import type { TarHeader } from './tar-header.js';
import { onInput } from './worker-input.js';

export interface SnapshotReadWorkerInput {
  /** The snapshot file, in its backup folder. */
  file: string;
  /** Its size and sha256 as its manifest records them, checked before anything is read. */
  expected?: { size: number; sha256: string };
  /** Only the entries at or below these paths (normalised, relative to the tree): only their blobs are read. */
  only?: string[];
  /** Decompress each blob with a call of its own instead of the decompressor driven by hand (tests keep that path checked). */
  oneShot?: boolean;
  /**
   * The live tree a rollback replaces: a file found there as the very one backed up (keptInLive) is
   * handed over as kept, its blobs not read.
   */
  liveRoot?: string;
}

export type SnapshotReadWorkerMessage =
  /** The snapshot is open: the members follow. */
  | { type: 'ready' }
  /** Headers of the next members, in order, and (`data`, `length` bytes) the next of their data. */
  | { type: 'members'; headers: TarHeader[]; data?: ArrayBuffer; length: number }
  | { type: 'end' }
  | { type: 'error'; name: string; message: string; code?: string };

/** The main thread is done with a data buffer: to be filled again. */
export interface TakenData {
  data: ArrayBuffer;
}

/** The main thread took every header of a batch: another may be sent. */
export interface TakenHeaders {
  headersTaken: true;
}

const CHUNK = 2 << 20;
/** Buffers in all: those the main thread holds (up to three: snapshot-read.ts), those on their way, the one filled here. */
const BUFFERS = 6;
/** Headers are sent without data once this many wait (a run of folders, empty files or links). */
const HEADERS = 1024;
/**
 * Batches of headers sent and not all taken yet, at most: kept files (no data) would otherwise let the
 * reading run ahead of the extraction with nothing to stop it, and their headers pile up on the main
 * thread (an incremental rollback of 120,000 kept files peaked 80 MiB higher).
 */
const HEADER_BATCHES = 4;
/** Pack files kept open (a snapshot's blobs come mostly pack by pack). */
const OPEN_PACKS = 64;

const port = parentPort as NonNullable<typeof parentPort>;
const send = (message: SnapshotReadWorkerMessage, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);
let stopped = false;

function fail(error: unknown): void {
  if (stopped) return;
  stopped = true;
  const { name, message, code } = error as NodeJS.ErrnoException;
  send({ type: 'error', name, message, ...(typeof code === 'string' ? { code } : {}) });
}

/** Open pack files, least recently used first. */
class Packs {
  private readonly fds = new Map<string, number>();

  constructor(private readonly storeDir: string) {}

  /** Reads blob `place`'s stored bytes into `target` at `at`. */
  read(packId: string, place: BlobPlace, target: Buffer, at: number): void {
    const fd = this.fdOf(packId);
    let got = 0;
    for (let n = -1; got < place.length && n !== 0; got += n) n = readSync(fd, target, at + got, place.length - got, place.offset + got);
    if (got < place.length) throw new BlobDamagedError(`pack ${packId} ends before blob ${place.id} (at ${place.offset + got} of ${place.offset + place.length})`);
  }

  private fdOf(packId: string): number {
    let fd = this.fds.get(packId);
    if (fd !== undefined) this.fds.delete(packId); // to the end: most recently used
    else {
      try {
        fd = openSync(packPathOf(this.storeDir, packId), 'r');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new BlobDamagedError(`pack ${packId} of the incremental store is missing`);
        throw error;
      }
      if (this.fds.size >= OPEN_PACKS) {
        const [oldest, closing] = this.fds.entries().next().value as [string, number];
        this.fds.delete(oldest);
        closeSync(closing);
      }
    }
    this.fds.set(packId, fd);
    return fd;
  }
}

/** Decompresses blobs (each one zstd frame) with one decompressor for all, driven by hand. */
class Frames {
  private stream = createZstdDecompress();
  private driven: DrivenByHand | undefined;

  constructor(private readonly oneShot: boolean) {
    this.open();
  }

  private open(): void {
    this.stream = createZstdDecompress();
    this.stream.on('error', () => undefined); // read from `errored` right after each write
    this.driven = this.oneShot ? undefined : driveByHand(this.stream);
  }

  /**
   * Blob `place`'s plain bytes, decompressed from `frame` into `target` at `at`, where there is room for
   * them and one byte more (so that a frame longer than the index says shows); a BlobDamagedError when it
   * is not one frame of exactly that size (the sha256 is the caller's to check).
   */
  decode(place: BlobPlace, frame: Buffer, target: Buffer, at: number): void {
    const driven = this.driven;
    if (!driven) {
      let plain: Buffer;
      try {
        plain = zstdDecompressSync(frame, { maxOutputLength: Math.max(place.size, 1) });
      } catch (error) {
        throw undecompressable(place.id, error);
      }
      if (plain.length !== place.size) throw new BlobDamagedError(`blob ${place.id} has ${plain.length} bytes, the index says ${place.size}`);
      plain.copy(target, at);
      return;
    }
    const room = place.size + 1;
    driven.reset();
    driven.write(driven.last, frame, 0, frame.length, target, at, room);
    const error = this.stream.errored;
    if (error) {
      this.open(); // a decompressor that failed is not used again
      throw undecompressable(place.id, error);
    }
    const produced = room - driven.state[0];
    if (produced !== place.size || driven.state[1] !== 0) throw new BlobDamagedError(`blob ${place.id} has ${produced === room ? 'more than ' + place.size : produced} bytes, the index says ${place.size}`);
  }
}

/** The inode of the live file at `entry`'s place when it is the very file the backup read, unchanged since (live-identity.ts). */
function keptInLive(liveRoot: string, entry: ListingEntry): number | undefined {
  if (entry.type !== 'file' || entry.inode === undefined || entry.ctimeNs === undefined || !entry.size) return undefined;
  const { mode, uid, gid } = entry;
  return keptInode(`${liveRoot}/${entry.path}`, { ino: BigInt(entry.inode), ctimeNs: BigInt(entry.ctimeNs), mtimeNs: BigInt(entry.mtimeNs), size: entry.size, mode, uid, gid });
}

/** A buffer of at least `length` bytes: `buffer` when it is long enough, a bigger one otherwise. */
const grown = (buffer: Buffer, length: number) => (buffer.length >= length ? buffer : Buffer.allocUnsafeSlow(Math.max(length, 2 * buffer.length)));

/** The reading of one snapshot: a step at a time, pausing whenever every handover buffer is with the main thread. */
class SnapshotRead {
  private readonly out = new Handover(CHUNK, BUFFERS);
  private readonly packs: Packs;
  private readonly frames: Frames;
  private readonly include: ((path: string) => boolean) | undefined;
  private readonly liveRoot: string | undefined;
  private headers: TarHeader[] = [];
  /** The listing: its next blob, and the entries of the one being read. */
  private listingAt = 0;
  private entries: Generator<ListingEntry> | undefined;
  /** The blobs of the member being read, and the next of them. */
  private places: BlobAt[] = [];
  private placeAt = 0;
  private batchesOut = 0;
  /** A checked blob that did not fit where the handover buffer had room: its bytes (in `spill`), and how many went out. */
  private spilled: Buffer | undefined;
  private spilledAt = 0;
  /** Stored bytes of a compressed blob, a blob decoded whole before it is handed over, a listing blob. */
  private stored: Buffer = Buffer.allocUnsafeSlow(256 << 10);
  private spill: Buffer = Buffer.allocUnsafeSlow(256 << 10);

  constructor(
    private readonly snapshot: OpenedSnapshot,
    input: SnapshotReadWorkerInput,
  ) {
    this.packs = new Packs(snapshot.storeDir);
    this.frames = new Frames(input.oneShot === true);
    const only = input.only;
    this.include = only && ((path) => only.some((p) => isUnder(path, p)));
    this.liveRoot = input.liveRoot;
  }

  /** Goes on until the members end, or every handover buffer is with the main thread (a buffer given back goes on). */
  pump(): void {
    try {
      while (!stopped) {
        if (this.spilled) {
          if (!this.handOverSpilled()) return;
        } else if (this.placeAt < this.places.length) {
          if (!this.readBlob(this.places[this.placeAt])) return;
          this.placeAt++;
        } else if (this.batchesOut >= HEADER_BATCHES) {
          // The data read so far goes too: the extraction may be waiting for it to take the headers.
          this.sendData();
          return;
        } else if (!this.nextMember()) break;
      }
      if (stopped) return;
      this.sendData();
      stopped = true;
      send({ type: 'end' });
    } catch (error) {
      fail(error);
    }
  }

  back(data: ArrayBuffer): void {
    this.out.back(data);
    this.pump();
  }

  headersTaken(): void {
    this.batchesOut--;
    this.pump();
  }

  /** The next member's header queued and its blobs made the ones to read; false at the end of the listing. */
  private nextMember(): boolean {
    for (;;) {
      const next = this.entries?.next();
      if (!next || next.done) {
        const listing = this.snapshot.document.listing;
        if (this.listingAt === listing.length) return false;
        this.entries = listingEntries(this.listingText(listing[this.listingAt++]), listing[this.listingAt - 1]);
        continue;
      }
      const entry = next.value;
      if (this.include && !this.include(entry.path)) continue;
      const header = headerOf(entry);
      const kept = this.liveRoot === undefined ? undefined : keptInLive(this.liveRoot, entry);
      if (kept !== undefined) header.kept = { inode: kept };
      this.places = kept === undefined ? placesOf(this.snapshot.reader.index, entry) : [];
      this.placeAt = 0;
      this.headers.push(header);
      if (this.headers.length >= HEADERS) this.sendHeaders();
      return true;
    }
  }

  /** A listing blob's text. */
  private listingText(id: string): string {
    const found = this.snapshot.reader.index.find(id);
    if (!found) throw new BlobDamagedError(`blob ${id} is not in the incremental store's index`);
    this.spill = grown(this.spill, found.place.size + 1);
    this.decodeInto(found, this.spill, 0);
    return this.spill.toString('utf8', 0, found.place.size);
  }

  /**
   * Reads blob `at` into the handover buffer, or (when it does not fit there) into the spill buffer,
   * handing over what fits; false when no handover buffer is free (nothing was read then).
   */
  private readBlob(at: BlobAt): boolean {
    const target = this.out.target();
    if (!target) return false;
    const { place } = at;
    // One byte of room more than the blob: a frame longer than the index says shows.
    if (place.size < this.out.room) {
      this.decodeInto(at, target, this.out.used);
      this.out.used += place.size;
      return true;
    }
    this.spill = grown(this.spill, place.size + 1);
    this.decodeInto(at, this.spill, 0);
    this.spilled = this.spill.subarray(0, place.size);
    this.spilledAt = 0;
    this.handOverSpilled();
    return true;
  }

  /** Blob `at`'s plain bytes into `target` at `offset` (room for size + 1 bytes there), checked. */
  private decodeInto({ packId, place }: BlobAt, target: Buffer, offset: number): void {
    if (place.zstd) {
      this.stored = grown(this.stored, place.length);
      this.packs.read(packId, place, this.stored, 0);
      this.frames.decode(place, this.stored.subarray(0, place.length), target, offset);
    } else {
      if (place.length !== place.size) throw new BlobDamagedError(`blob ${place.id} has ${place.length} bytes, the index says ${place.size}`);
      this.packs.read(packId, place, target, offset);
    }
    checkedPlain(place.id, target.subarray(offset, offset + place.size), place.size);
  }

  /** Copies what is left of the spilled blob into handover buffers; false when none is free. */
  private handOverSpilled(): boolean {
    const spilled = this.spilled as Buffer;
    while (this.spilledAt < spilled.length) {
      const target = this.out.target();
      if (!target) return false;
      const copied = spilled.copy(target, this.out.used, this.spilledAt);
      this.out.used += copied;
      this.spilledAt += copied;
      if (this.out.used === CHUNK) this.sendData();
    }
    this.spilled = undefined;
    return true;
  }

  /** Hands over the buffer being filled (if it holds anything) with the headers queued. */
  private sendData(): void {
    const taken = this.out.take();
    if (!taken) return this.sendHeaders();
    const message: SnapshotReadWorkerMessage = { type: 'members', headers: this.headers, data: taken.data, length: taken.length };
    if (this.headers.length > 0) this.batchesOut++;
    this.headers = [];
    send(message, [taken.data]);
  }

  private sendHeaders(): void {
    if (this.headers.length === 0) return;
    send({ type: 'members', headers: this.headers, length: 0 });
    this.batchesOut++;
    this.headers = [];
  }
}

// The input may come after the thread started (worker-input.ts: a rollback starts it ahead).
onInput<SnapshotReadWorkerInput>((input) => {
  let read: SnapshotRead | undefined;
  port.on('message', (message: TakenData | TakenHeaders) => ('headersTaken' in message ? read?.headersTaken() : read?.back(message.data)));
  openSnapshot(input.file, input.expected).then(
    (snapshot) => {
      read = new SnapshotRead(snapshot, input);
      send({ type: 'ready' });
      read.pump();
    },
    (error: unknown) => fail(error),
  );
});
