// How many connections read tables at once: a constant of its own, so the command line can show it
// in its help without loading the dump code.

/** 2 keeps the server's formatting and the compression both busy on 2 cores. */
export const DEFAULT_DUMP_THREADS = 2;
export const MAX_DUMP_THREADS = 16;
