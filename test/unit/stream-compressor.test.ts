// A frame compressor over a stream (stream-compressor.ts): frames come out in order, and a stream that
// reports a failure only as an 'error' event (no write callback) fails the frame instead of hanging it.
import { Transform } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { StreamFrameCompressor } from '../../src/archive/codec/stream-compressor.js';

/** Upper-cases each write; a write of "fail" emits an error and never calls back. */
class Shouting extends Transform {
  override _transform(chunk: Buffer, _encoding: string, done: (error?: Error | null, data?: Buffer) => void): void {
    if (chunk.toString() === 'fail') {
      this.emit('error', new Error('broken compressor (test)'));
      return;
    }
    done(null, Buffer.from(chunk.toString().toUpperCase()));
  }
  close(): void {
    this.destroy();
  }
}

describe('stream frame compressor', () => {
  it('gives each frame its own output, in order', async () => {
    const compressor = new StreamFrameCompressor(new Shouting());
    const frames = await Promise.all([compressor.compress(Buffer.from('ab')), compressor.compress(Buffer.from('cd'))]);
    expect(frames.map((pieces) => Buffer.concat(pieces).toString())).toEqual(['AB', 'CD']);
    compressor.close();
  });

  it('fails a frame whose stream reports an error only as an event', async () => {
    const compressor = new StreamFrameCompressor(new Shouting());
    await expect(compressor.compress(Buffer.from('fail'))).rejects.toThrow('broken compressor (test)');
    compressor.close();
  });
});
