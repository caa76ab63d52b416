// Times for utimes() as Node takes them (seconds as a double), from a file's nanoseconds.

/**
 * A time for utimes(). Node passes seconds as a double (about 0.24 µs apart for today's dates) and
 * libuv keeps the nanoseconds of it: the nearest double lands within 0.12 µs and maps back to itself,
 * so a time survives any number of round trips. (Node 20's libuv truncated to the microsecond, and the
 * half microsecond added then to round would now move a folder's mtime at every rollback.)
 */
export function utimesSeconds(ns: bigint): number {
  let seconds = ns / 1_000_000_000n;
  if (seconds * 1_000_000_000n > ns) seconds -= 1n;
  return Number(seconds) + Number(ns - seconds * 1_000_000_000n) / 1e9;
}
