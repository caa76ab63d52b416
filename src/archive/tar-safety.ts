// The rules an archive must pass before anything is restored from it. Checked member by member, in
// archive order, without touching the disk: absolute paths and `..` are refused; so are members that
// would be written through a symlink (one made earlier by the same archive), hard links to anything but
// an earlier regular file of the archive, devices, FIFOs and member types Lifeboat does not restore,
// duplicate members, and names that the target filesystem would see as the same (case or Unicode
// normalisation, when it folds them: see probeNameFolding).
import { lstat, mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
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

type Seen = { kind: 'file' | 'dir' | 'symlink' | 'implicit'; path: string };

const MAX_NAME_BYTES = 255;

/**
 * `a//b/./c/` -> `a/b/c`; '' for the archive's root folder (`./`). Throws for absolute paths, `..`,
 * NUL bytes and names longer than a filesystem allows.
 */
export function normaliseMemberPath(raw: string, what = 'member'): string {
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

export class MemberChecker {
  private readonly seen = new Map<string, Seen>();
  /** Hard link paths -> the regular file they name. */
  private readonly hardlinks = new Map<string, string>();

  constructor(private readonly folding: NameFolding = EXACT_NAMES) {}

  private key(p: string): string {
    let k = p;
    if (this.folding.unicode) k = k.normalize('NFC');
    if (this.folding.case) k = k.toLowerCase();
    return k;
  }

  /** Checks one member; returns undefined for the archive's root folder entry (`./`), which is skipped. */
  check(header: TarHeader): CheckedMember | undefined {
    const shown = JSON.stringify(header.path);
    if (header.type === 'chardev' || header.type === 'blockdev' || header.type === 'fifo') {
      throw new UnsafeArchiveError(`member ${shown} is a ${header.type === 'fifo' ? 'FIFO' : 'device file'}; Lifeboat does not restore those`);
    }
    if (header.type === 'other') throw new UnsafeArchiveError(`member ${shown} has a type Lifeboat does not restore (${JSON.stringify(header.typeflag)})`);
    const p = normaliseMemberPath(header.path);
    if (p === '') {
      if (header.type === 'dir') return undefined;
      throw new UnsafeArchiveError(`member ${shown} names the root folder but is not a folder`);
    }
    // Every folder on the way must be a folder: not a symlink (that would write outside), not a file.
    const parts = p.split('/');
    for (let i = 1; i < parts.length; i++) {
      const ancestor = parts.slice(0, i).join('/');
      const seen = this.seen.get(this.key(ancestor));
      if (seen?.kind === 'symlink') throw new UnsafeArchiveError(`member ${shown} would be written through the symlink ${JSON.stringify(seen.path)}`);
      if (seen?.kind === 'file') throw new UnsafeArchiveError(`member ${shown} is inside ${JSON.stringify(seen.path)}, which is a file`);
      if (seen && seen.path !== ancestor) {
        throw new UnsafeArchiveError(`member ${shown} and ${JSON.stringify(seen.path)} name the same folder on this filesystem`);
      }
      if (!seen) this.seen.set(this.key(ancestor), { kind: 'implicit', path: ancestor });
    }
    const key = this.key(p);
    const existing = this.seen.get(key);
    if (existing) {
      if (existing.path !== p) throw new UnsafeArchiveError(`members ${JSON.stringify(existing.path)} and ${shown} name the same file on this filesystem`);
      if (existing.kind !== 'implicit') throw new UnsafeArchiveError(`member ${shown} appears twice`);
      if (header.type !== 'dir') throw new UnsafeArchiveError(`member ${shown} is a ${header.type} but earlier members are inside it`);
    }
    let linkTarget: string | undefined;
    if (header.type === 'hardlink') {
      const raw = header.linkname ?? '';
      let target: string;
      try {
        target = normaliseMemberPath(raw, 'hard link target');
      } catch (error) {
        throw new UnsafeArchiveError(`hard link ${shown} points outside the archive (${(error as Error).message})`);
      }
      const original = this.seen.get(this.key(target));
      if (!target || !original) throw new UnsafeArchiveError(`hard link ${shown} points to ${JSON.stringify(raw)}, which is not an earlier member`);
      if (original.kind !== 'file') throw new UnsafeArchiveError(`hard link ${shown} points to ${JSON.stringify(raw)}, which is not a regular file`);
      linkTarget = this.hardlinks.get(original.path) ?? original.path;
      this.hardlinks.set(p, linkTarget);
    }
    if (header.type === 'symlink' && !header.linkname) throw new UnsafeArchiveError(`symlink ${shown} has no target`);
    const kind = header.type === 'hardlink' ? 'file' : header.type;
    this.seen.set(key, { kind, path: p });
    return { path: p, type: header.type, ...(linkTarget !== undefined ? { linkTarget } : {}) };
  }
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
