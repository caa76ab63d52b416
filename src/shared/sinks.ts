// Where a dump's SQL goes: the interfaces an engine writes into and the archive's compressed writers
// implement, so that neither needs the other.

/** Where an engine writes its dump. Counts uncompressed bytes so that table ranges can be recorded. */
export interface SqlSink {
  /**
   * Appends text; resolves when the sink can take more (backpressure). A Buffer is the caller's again
   * once the promise resolves (the sink has copied what it keeps), so the caller may fill it anew.
   */
  write(chunk: string | Buffer): Promise<void>;
  /** Uncompressed bytes written so far. */
  readonly bytesWritten: number;
  /**
   * Ends the current compression block so the next byte starts a fresh frame of the codec (for gzip,
   * a member). Resolves when the sink can take more; the frame's byte offset in the archive
   * (for per-table random access) comes later, once the frames before it are compressed, so that a dump
   * need not wait for them.
   */
  cut(): Promise<FrameStart>;
}

export interface FrameStart {
  /** Compressed byte offset of the frame; rejects when the sink fails before getting there. */
  frameOffset: Promise<number>;
}

/**
 * A side sink for a parallel dump: a worker writes whole tables into it while another worker owns the
 * main sink, then moves them into the main sink in one piece. Offsets it reports (bytesWritten, cut) are
 * relative to the spool's start and become absolute by adding where the move put them.
 */
export interface SpoolSink extends SqlSink {
  /**
   * Appends what the spool holds to the end of its main sink (nobody else may write there meanwhile) and
   * empties the spool; resolves to the main sink's uncompressed and compressed offsets of its first byte.
   */
  moveToMain(): Promise<{ dataOffset: number; frameOffset: number }>;
  /** Releases the spool's storage (also after a failure). */
  dispose(): Promise<void>;
}
