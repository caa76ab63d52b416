// The rules an archive must pass before anything is restored from it. Checked member by member, in
// archive order, without touching the disk: absolute paths and `..` are refused; so are members that
// would be written through a symlink (one made earlier by the same archive), hard links to anything but
// an earlier regular file of the archive, devices, FIFOs and member types Lifeboat does not restore,
// duplicate members, and names that the target filesystem would see as the same (case or Unicode
// normalisation, when it folds them: see probeNameFolding).
import { lstat, mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DIR, FILE, IMPLICIT, NameTable, ROOT, SYMLINK, type NameHash } from './name-table.js';
import type { TarHeader } from './tar-header.js';

export class UnsafeArchiveError extends Error {}

/** How the target filesystem compares names: byte for byte, or folding case and/or Unicode forms. */
export interface NameFolding {
  case: boolean;
  unicode: boolean;
}

export const EXACT_NAMES: NameFolding = { case: false, unicode: false };

/** A member that passed: its normalised path and, for a hard link, the normalised original. */
export interface CheckedMember {
  path: string;
  type: 'file' | 'dir' | 'symlink' | 'hardlink';
  /** For hard links: the path of the regular file it is another name of. */
  linkTarget?: string;
}

const MAX_NAME_BYTES = 255;

/**
 * `a//b/./c/` -> `a/b/c`; '' for the archive's root folder (`./`). Throws for absolute paths, `..`,
 * NUL bytes and names longer than a filesystem allows.
 */
export function normaliseMemberPath(raw: string, what = 'member'): string {
  if (isNormal(raw)) return raw;
  const shown = JSON.stringify(raw);
  if (raw.includes('\0')) throw new UnsafeArchiveError(`${what} ${shown} has a NUL byte in its name`);
  if (raw.startsWith('/')) throw new UnsafeArchiveError(`${what} ${shown} has an absolute path`);
  const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new UnsafeArchiveError(`${what} ${shown} climbs out of the folder with ".."`);
  for (const part of parts) {
    if (Buffer.byteLength(part) > MAX_NAME_BYTES) throw new UnsafeArchiveError(`${what} ${shown} has a name longer than ${MAX_NAME_BYTES} bytes`);
  }
  return parts.join('/');
}

/**
 * Whether a path is already in normal form and passes every rule above: no empty, `.` or `..` name, no
 * NUL, no name that could be longer than 255 bytes (a UTF-16 unit is at most 3 bytes of UTF-8).
 * Nearly every member's path is; checking that in one pass spares the split, filter and join per file.
 */
const SURELY_SHORT = Math.floor(MAX_NAME_BYTES / 3);
const DOT = 0x2e;
function isNormal(raw: string): boolean {
  if (raw.includes('\0')) return false;
  for (let start = 0; ; ) {
    const slash = raw.indexOf('/', start);
    const end = slash === -1 ? raw.length : slash;
    const length = end - start;
    if (length === 0 || length > SURELY_SHORT) return false;
    if (raw.charCodeAt(start) === DOT && (length === 1 || (length === 2 && raw.charCodeAt(start + 1) === DOT))) return false;
    if (slash === -1) return true;
    start = slash + 1;
  }
}

/** What each member type is remembered as: a hard link is one more name of a regular file. */
const KIND_OF = { file: FILE, hardlink: FILE, dir: DIR, symlink: SYMLINK } as const;

/** A hard link's target, normalised as member paths are; one that leads out of the archive is refused. */
export function normaliseLinkTarget(raw: string, shown: string): string {
  try {
    return normaliseMemberPath(raw, 'hard link target');
  } catch (error) {
    throw new UnsafeArchiveError(`hard link ${shown} points outside the archive (${(error as Error).message})`);
  }
}

/**
 * Checks members one by one, remembering every name the archive used. Per member it keeps an entry of
 * a compact name table (about 50 bytes; see name-table.ts), not a path string and an object: a
 * million-file tree must fit in a rollback's memory bound.
 */
export class MemberChecker {
  private readonly names: NameTable;
  /** Hard links' entries -> the path of the regular file they name. */
  private readonly hardlinks = new Map<number, string>();
  // The folder of the previous member, already checked: an archive lists a folder's files one after
  // another, so its ancestors are looked up once per folder, not once per file. A folder that passed
  // stays valid: an entry that is a folder can later only be listed as a folder, anything else is refused.
  private lastFolder: string | undefined;
  private lastFolderId = ROOT;

  /** @param hash for tests only: a weak hash, to check that colliding names are told apart exactly */
  constructor(folding: NameFolding = EXACT_NAMES, hash?: NameHash) {
    const fold = folding.unicode || folding.case ? (name: string) => foldName(name, folding) : undefined;
    this.names = new NameTable(fold, hash);
  }

  /** Checks one member; returns undefined for the archive's root folder entry (`./`), which is skipped. */
  check(header: TarHeader): CheckedMember | undefined {
    // Quoted only for an error: built for every member, the quoted path was a string per file for nothing.
    const shown = () => JSON.stringify(header.path);
    if (header.type === 'chardev' || header.type === 'blockdev' || header.type === 'fifo') {
      throw new UnsafeArchiveError(`member ${shown()} is a ${header.type === 'fifo' ? 'FIFO' : 'device file'}; Lifeboat does not restore those`);
    }
    if (header.type === 'other') throw new UnsafeArchiveError(`member ${shown()} has a type Lifeboat does not restore (${JSON.stringify(header.typeflag)})`);
    const p = normaliseMemberPath(header.path);
    if (p === '') {
      if (header.type === 'dir') return undefined;
      throw new UnsafeArchiveError(`member ${shown()} names the root folder but is not a folder`);
    }
    const slash = p.lastIndexOf('/');
    const folder = slash < 0 ? '' : p.slice(0, slash);
    const name = p.slice(slash + 1);
    const parent = folder === this.lastFolder ? this.lastFolderId : this.enterFolder(folder, shown);
    const { names } = this;
    const existing = names.find(parent, name);
    if (existing) {
      if (!names.sameSpelling(existing)) throw new UnsafeArchiveError(`members ${JSON.stringify(names.pathOf(existing))} and ${shown()} name the same file on this filesystem`);
      if (names.kindOf(existing) !== IMPLICIT) throw new UnsafeArchiveError(`member ${shown()} appears twice`);
      if (header.type !== 'dir') throw new UnsafeArchiveError(`member ${shown()} is a ${header.type} but earlier members are inside it`);
    }
    const linkTarget = header.type === 'hardlink' ? this.hardLinkTarget(header, shown) : undefined;
    if (header.type === 'symlink' && !header.linkname) throw new UnsafeArchiveError(`symlink ${shown()} has no target`);
    if (existing) names.setKind(existing, DIR);
    else {
      const id = names.add(parent, name, KIND_OF[header.type]);
      if (linkTarget !== undefined) this.hardlinks.set(id, linkTarget);
    }
    this.lastFolder = folder;
    this.lastFolderId = parent;
    return { path: p, type: header.type, ...(linkTarget !== undefined ? { linkTarget } : {}) };
  }

  /** Every folder on the way must be a folder: not a symlink (that would write outside), not a file. */
  private enterFolder(folder: string, shown: () => string): number {
    let parent = ROOT;
    if (folder === '') return parent;
    const { names } = this;
    for (let start = 0; start <= folder.length; ) {
      const slash = folder.indexOf('/', start);
      const end = slash === -1 ? folder.length : slash;
      const name = folder.slice(start, end);
      const id = names.find(parent, name);
      if (!id) parent = names.add(parent, name, IMPLICIT);
      else {
        const kind = names.kindOf(id);
        if (kind === SYMLINK) throw new UnsafeArchiveError(`member ${shown()} would be written through the symlink ${JSON.stringify(names.pathOf(id))}`);
        if (kind === FILE) throw new UnsafeArchiveError(`member ${shown()} is inside ${JSON.stringify(names.pathOf(id))}, which is a file`);
        if (!names.sameSpelling(id)) throw new UnsafeArchiveError(`member ${shown()} and ${JSON.stringify(names.pathOf(id))} name the same folder on this filesystem`);
        parent = id;
      }
      start = end + 1;
    }
    return parent;
  }

  /** A hard link may only name an earlier regular file of the archive; returns that file's path. */
  private hardLinkTarget(header: TarHeader, shown: () => string): string {
    const raw = header.linkname ?? '';
    const target = normaliseLinkTarget(raw, shown());
    let original = ROOT;
    for (const name of target ? target.split('/') : []) {
      original = this.names.find(original, name);
      if (!original) break;
    }
    if (original === ROOT) throw new UnsafeArchiveError(`hard link ${shown()} points to ${JSON.stringify(raw)}, which is not an earlier member`);
    if (this.names.kindOf(original) !== FILE) throw new UnsafeArchiveError(`hard link ${shown()} points to ${JSON.stringify(raw)}, which is not a regular file`);
    return this.hardlinks.get(original) ?? this.names.pathOf(original);
  }
}

/** A name as a filesystem that folds case and/or Unicode forms compares it. */
function foldName(name: string, folding: NameFolding): string {
  let k = name;
  if (folding.unicode) k = k.normalize('NFC');
  if (folding.case) k = k.toLowerCase();
  return k;
}

/**
 * Finds out how the filesystem holding `dir` compares names, by creating two probe files there: a
 * case-insensitive or Unicode-normalising filesystem (macOS, Windows shares, ext4 with casefold)
 * would let differently written member names land on one file.
 */
export async function probeNameFolding(dir: string): Promise<NameFolding> {
  const probe = await mkdtemp(path.join(dir, '.lifeboat-probe-'));
  try {
    await writeFile(path.join(probe, 'Ab'), '');
    await writeFile(path.join(probe, 'caf\u00e9'), ''); // NFC é
    const exists = (name: string) =>
      lstat(path.join(probe, name)).then(
        () => true,
        () => false,
      );
    return { case: await exists('aB'), unicode: await exists('cafe\u0301') }; // NFD é
  } finally {
    await rm(probe, { recursive: true, force: true });
  }
}
