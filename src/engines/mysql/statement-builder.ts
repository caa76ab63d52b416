// Row tuples collected into multi-row INSERT statements, handed to the sink in pieces of about a
// megabyte. Rows read as protocol bytes are formatted straight into the piece being filled.
import { tupleRoom, writeTuple } from './row-tuples.js';

const ROW_SEPARATOR = Buffer.from(',\n');
export const STATEMENT_END = Buffer.from(';\n');

/**
 * Bytes handed to the sink at a time. Statements (up to 4 MiB) go out in pieces of about this size
 * instead of one buffer each: a dump then allocates no buffer above ~1 MiB per row batch, the frame
 * writer takes each piece as a whole block without copying it again, and fewer large buffers churn
 * through malloc, whose heap otherwise fragments and grows with the length of the dump.
 */
const PIECE_BYTES = 1 << 20;
/** A value at least this long is handed out as it is rather than copied into the piece. */
const OWN_PIECE = 64 << 10;
/** Room for a piece that reached PIECE_BYTES within one row: it still goes out whole, as one compression block. */
const PIECE_ROOM = PIECE_BYTES + 2 * OWN_PIECE;

export type Emit = (piece: Buffer, rows: number) => void;

/**
 * Piece buffers that finished tables left unused, for the next tables: a dump of 400 one-row tables
 * then allocates a few, not a megabyte per table.
 */
const sparePieces: Buffer[] = [];
const MAX_SPARE_PIECES = 4;
/** The memory of every piece buffer made here: only those are taken back (StatementBuilder.recycle). */
const pieceMemory = new WeakSet<ArrayBufferLike>();

function newPiece(): Buffer {
  const piece = Buffer.allocUnsafeSlow(PIECE_ROOM);
  pieceMemory.add(piece.buffer);
  return piece;
}

/**
 * Collects row tuples into INSERT statements no larger than the limit (unless one row is). Each tuple is
 * copied into the piece being filled as it arrives: the driver's row objects and the socket chunks they
 * point into then die at once, young, instead of living (and being promoted to the old generation)
 * until a whole piece is joined; with a million 30-byte rows that was 70 MiB of garbage per minute of
 * dump that only a full collection freed.
 */
export class StatementBuilder {
  /** The piece being filled; taken when the first byte comes. */
  private piece: Buffer | undefined;
  private used = 0;
  /** Complete rows not handed out yet. */
  private pieceRows = 0;
  /** Bytes of the open statement, its end included; 0 when none is open. */
  private statementBytes = 0;

  constructor(
    private readonly prefix: Buffer,
    private readonly limit: number,
  ) {}

  /** Adds a row; calls `emit` for each piece completed on the way. */
  add(tuple: Buffer, emit: Emit): void {
    if (this.statementBytes > 0 && this.statementBytes + ROW_SEPARATOR.length + tuple.length > this.limit) this.flush(emit);
    if (this.statementBytes > 0) {
      this.push(ROW_SEPARATOR, emit);
    } else {
      this.statementBytes = STATEMENT_END.length;
      this.push(this.prefix, emit);
    }
    this.push(tuple, emit);
    this.pieceRows++;
    // A row at or beyond the limit goes out alone (it still loads if it fits max_allowed_packet).
    if (this.statementBytes >= this.limit) this.flush(emit);
    else if (this.used >= PIECE_BYTES) this.emitPiece(emit);
  }

  /** Rows whose tupleRoom() is below this may go through addRow(): their tuple never gets a piece of its own. */
  get inlineRowRoom(): number {
    return OWN_PIECE - this.prefix.length;
  }

  /**
   * Adds a text-protocol row (`src[start, end)`), formatted as its tuple straight into the piece being
   * filled: copying each tuple from a scratch buffer into the piece was a fifth of the row path's work in
   * a profile of the bench's shop. The row's tupleRoom() must be below inlineRowRoom. A row that does not
   * fit the open statement (once per statement) is copied out and added as a tuple. Returns its length.
   */
  addRow(src: Buffer, start: number, end: number, forms: Uint8Array, emit: Emit): number {
    const room = tupleRoom(end - start, forms.length);
    const head = this.statementBytes > 0 ? ROW_SEPARATOR : this.prefix;
    if (this.used + head.length + room > PIECE_ROOM) this.emitPiece(emit);
    this.piece ??= sparePieces.pop() ?? newPiece();
    const at = this.used + head.length;
    const length = writeTuple(src, start, forms, this.piece, at) - at;
    if (head === ROW_SEPARATOR && this.statementBytes + head.length + length > this.limit) {
      this.add(Buffer.from(this.piece.subarray(at, at + length)), emit);
      return length;
    }
    if (head === ROW_SEPARATOR) {
      this.piece[this.used] = ROW_SEPARATOR[0];
      this.piece[this.used + 1] = ROW_SEPARATOR[1];
    } else {
      head.copy(this.piece, this.used);
      this.statementBytes = STATEMENT_END.length;
    }
    this.statementBytes += head.length + length;
    this.used = at + length;
    this.pieceRows++;
    if (this.statementBytes >= this.limit) this.flush(emit);
    else if (this.used >= PIECE_BYTES) this.emitPiece(emit);
    return length;
  }

  /** Ends the open statement and hands out what is left. */
  flush(emit: Emit): void {
    if (this.statementBytes === 0) return;
    this.push(STATEMENT_END, emit);
    this.statementBytes = 0;
    this.emitPiece(emit);
  }

  private push(buffer: Buffer, emit: Emit): void {
    this.statementBytes += buffer.length;
    if (buffer.length >= OWN_PIECE) {
      // A large value: what precedes it, then the value itself, without copying it.
      this.emitPiece(emit);
      emit(buffer, 0);
      return;
    }
    if (this.used + buffer.length > PIECE_ROOM) this.emitPiece(emit);
    this.piece ??= sparePieces.pop() ?? newPiece();
    this.used += buffer.copy(this.piece, this.used);
  }

  /**
   * Takes back a piece emitted earlier, once the sink is done with it (its write resolved): a full piece's
   * buffer is filled again instead of a new megabyte being allocated for each (which the kernel zeroes
   * and V8 counts towards full collections).
   */
  static recycle(piece: Buffer): void {
    if (pieceMemory.has(piece.buffer) && sparePieces.length < MAX_SPARE_PIECES) {
      sparePieces.push(Buffer.from(piece.buffer, 0, PIECE_ROOM));
    }
  }

  /** After the last flush: the piece buffer goes back for the next table. */
  release(): void {
    if (this.piece && this.used === 0 && sparePieces.length < MAX_SPARE_PIECES) sparePieces.push(this.piece);
    this.piece = undefined;
  }

  private emitPiece(emit: Emit): void {
    if (this.used === 0 || !this.piece) return;
    const full = this.used >= PIECE_BYTES / 2;
    // A full piece is handed over (the next byte takes a new one); a short one (a statement's end) is
    // copied out, so that it does not keep a whole megabyte alive while it waits for compression.
    const piece = full ? this.piece.subarray(0, this.used) : Buffer.from(this.piece.subarray(0, this.used));
    if (full) this.piece = undefined;
    const rows = this.pieceRows;
    this.used = 0;
    this.pieceRows = 0;
    emit(piece, rows);
  }
}

/** The buffer rows are formatted into; grown for the longest row so far. */
let scratch = Buffer.allocUnsafe(64 << 10);

/**
 * A text-protocol row as its tuple. The result is valid until the next row: a tuple the statement builder
 * would keep as a piece of its own (not copied) is copied out of the shared buffer first.
 */
export function formatRow(buffer: Buffer, start: number, end: number, forms: Uint8Array): Buffer {
  const room = tupleRoom(end - start, forms.length);
  if (scratch.length < room) scratch = Buffer.allocUnsafe(Math.max(room, 2 * scratch.length));
  const length = writeTuple(buffer, start, forms, scratch, 0);
  return length >= OWN_PIECE ? Buffer.from(scratch.subarray(0, length)) : scratch.subarray(0, length);
}

