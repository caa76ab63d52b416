// Typed arrays that hold per-entry fields of big tables (the names of an archive) without an object per
// entry: grown by copying into a bigger one of the same kind.

export type GrowableArray = Uint8Array | Uint16Array | Uint32Array | Int32Array | Float64Array;

/** A copy of `old` with room for `size` elements (the new ones zero). */
export function grown<T extends GrowableArray>(old: T, size: number): T {
  const fresh = new (old.constructor as new (n: number) => T)(size);
  fresh.set(old);
  return fresh;
}
