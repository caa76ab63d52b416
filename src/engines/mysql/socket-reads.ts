// The sockets of a dump's connections read into one buffer of their own, filled again at each read
// (net's `onread`), instead of Node's new 64 KiB Buffer per read pushed through a Readable stream. A
// dump streams its whole database through these sockets: on the bench's shop at scale 0.15 (160 MB),
// the fresh buffers were about 2,500 ArrayBuffers that V8 counts as external memory, and each 60 MiB
// or so of them started a full mark-compact of a 14 MiB heap (13 per dump); the stream machinery
// around each read was another tenth of the main thread's time.
//
// The buffer is shared only while a table's rows are read raw (raw-rows.ts), whose handler formats each
// row before the next read: then the driver's packet parser is given the read bytes as they are, and
// the part of a packet that continues in the next read, which the parser keeps as a view, is copied
// out after each read. At any other time (handshake, column definitions, every ordinary query, whose
// results the driver hands out as views of the bytes it was given) each read is copied into a Buffer
// of its own and pushed through the stream as Node would have.
//
// Reads stop while the driver is paused (Socket.pause stops reading a socket that has `onread`), so the
// rows it queued while paused (views of the buffer) are handled before the buffer is filled again.
import net from 'node:net';
import type { Connection as CoreConnection } from 'mysql2';

/** Bytes read from the socket at a time (the server's rows come faster than a 64 KiB read drains them). */
const READ_BYTES = 256 << 10;

/** The part of mysql2's PacketParser that shared reads use (packet_parser.js). */
interface PacketParser {
  execute(chunk: Buffer): unknown;
  /** Chunks of a packet not complete yet (views of the chunks given). */
  buffer: Buffer[];
  /** Pieces of a packet of 16 MiB or more (views of the chunks given). */
  largePacketParts: Buffer[];
}

interface SocketReader {
  /** Set while reads are shared: the connection's packet parser, given each read as it is. */
  parser: PacketParser | undefined;
}

const readers = new WeakMap<object, SocketReader>();

/** mysql2's `stream` option for a connection that may share its reads (connectionOptions). */
export interface StreamOptions {
  config: { host?: string; port: number; socketPath?: string; enableKeepAlive?: boolean; keepAliveInitialDelay?: number };
}

/** Opens the socket as mysql2 would (no delay, keep-alive), reading into a buffer of its own. */
export function openReadingSocket(options: StreamOptions): net.Socket {
  const { config } = options;
  const memory = Buffer.allocUnsafeSlow(READ_BYTES);
  const reader: SocketReader = { parser: undefined };
  const onread = {
    buffer: memory,
    callback: (bytes: number, buffer: Uint8Array): boolean => {
      const parser = reader.parser;
      if (parser === undefined) return socket.push(Buffer.from(buffer.subarray(0, bytes)));
      parser.execute(memory.subarray(0, bytes));
      keepRetained(parser.buffer, memory.buffer);
      keepRetained(parser.largePacketParts, memory.buffer);
      return true;
    },
  };
  const socket = config.socketPath ? net.connect({ path: config.socketPath, onread }) : net.connect({ host: config.host, port: config.port, onread });
  if (!config.socketPath) {
    socket.setNoDelay(true);
    if (config.enableKeepAlive !== false) socket.once('connect', () => socket.setKeepAlive(true, config.keepAliveInitialDelay));
  }
  readers.set(socket, reader);
  return socket;
}

/** Copies the views of the shared buffer that the parser keeps for the next read. */
function keepRetained(views: Buffer[], memory: ArrayBufferLike): void {
  for (let i = 0; i < views.length; i++) if (views[i].buffer === memory) views[i] = Buffer.from(views[i]);
}

/**
 * Makes the connection's following reads go to its packet parser without a copy, until the returned
 * function is called. The caller must be done with every row (and every view of it) before it returns
 * to the event loop, except while the connection is paused. Does nothing on a connection whose socket
 * was not opened by openReadingSocket.
 */
export function shareReads(core: CoreConnection): () => void {
  const internals = core as unknown as { stream: object; packetParser: PacketParser | undefined };
  const reader = readers.get(internals.stream);
  // A driver whose parser keeps its partial packets elsewhere than this one's (package.json pins the
  // version this was written for) is given copies, as Node would: slower, never wrong.
  const parser = internals.packetParser;
  if (!reader || !parser || !Array.isArray(parser.buffer) || !Array.isArray(parser.largePacketParts)) return () => undefined;
  reader.parser = parser;
  return () => {
    reader.parser = undefined;
  };
}
