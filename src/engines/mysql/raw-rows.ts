// The bytes of a query's row packets, handed to a callback instead of mysql2's row parser: no array and no
// Buffer per row and field, which for a dump of millions of small rows was much of the main thread's
// work and garbage. It relies on how mysql2's Query reads a result (checked by the dump's tests): after
// the column definitions, each row packet goes to the command's `row` state, looked up on the instance.
import type { Connection as CoreConnection, Query } from 'mysql2';
import { shareReads } from './socket-reads.js';

interface RowPacket {
  buffer: Buffer;
  /** Where the row's payload starts (after the packet header). */
  offset: number;
  end: number;
  isEOF(): boolean;
}

type RowState = (this: unknown, packet: RowPacket, connection: unknown) => unknown;

/**
 * Makes `query` hand each row's payload (`buffer[start, end)`: a text-protocol row) to `onRow`. The end of
 * the result goes on to mysql2 (its 'end' event). Call it before the query's first packet arrives; `fail`
 * hears if mysql2 parsed a row itself after all. With `connection` (the query's), the socket's reads are
 * shared from the first row to the end of the result (socket-reads.ts): `onRow` must then be done with
 * the bytes when it returns.
 */
export function onRawRows(query: Query, onRow: (buffer: Buffer, start: number, end: number) => void, fail: (error: Error) => void, connection?: CoreConnection): void {
  const command = query as unknown as { row: RowState };
  const parsed = command.row;
  let unshare: (() => void) | undefined;
  const stopSharing = () => {
    unshare?.();
    unshare = undefined;
  };
  const raw: RowState = function (packet, conn) {
    if (packet.isEOF()) {
      stopSharing();
      return parsed.call(this, packet, conn);
    }
    // From the first row on: the column definitions before it are parsed lazily from their bytes.
    if (connection && unshare === undefined) unshare = shareReads(connection);
    onRow(packet.buffer, packet.offset, packet.end);
    return raw;
  };
  command.row = raw;
  query.once('end', stopSharing);
  query.once('error', stopSharing);
  // Rows parsed by mysql2 after all would be lost silently: fail loudly instead.
  query.once('result', () => fail(new Error('internal error: the MySQL driver parsed a row meant to be read raw (mysql2 changed how it reads results)')));
}
