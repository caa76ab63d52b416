// The member checker's compact name table: every refusal rule still refuses, with and without name
// folding; names whose hashes collide are told apart exactly; and, on random archives, it decides
// exactly as the plain map of full paths it replaced (kept below as the reference). And the compact
// folder metadata that extraction keeps for after the swap.
import { describe, expect, it } from 'vitest';
import { depthOf, FolderMetas, OpenFolders } from '../../src/archive/folder-metas.js';
import { NameTable, FILE, DIR, IMPLICIT, ROOT, type NameHash } from '../../src/archive/name-table.js';
import type { TarHeader } from '../../src/archive/tar-header.js';
import { EXACT_NAMES, MemberChecker, normaliseLinkTarget, normaliseMemberPath, UnsafeArchiveError, type CheckedMember, type NameFolding } from '../../src/archive/tar-safety.js';

const h = (p: string, type: TarHeader['type'] = 'file', linkname?: string): TarHeader => ({ path: p, type, mode: 0o644, uid: 0, gid: 0, size: 0, mtimeNs: 0n, typeflag: '0', ...(linkname ? { linkname } : {}) });

/** Every name lands in one of two buckets: each lookup has to compare names in full. */
const collide: NameHash = (_parent, _bytes, start, end) => (end - start) & 1;

/** The checker as it was before the name table: a map from each folded full path to its first spelling. */
class ReferenceChecker {
  private readonly seen = new Map<string, { kind: string; path: string }>();
  private readonly hardlinks = new Map<string, string>();
  constructor(private readonly folding: NameFolding) {}
  private key(p: string): string {
    let k = p;
    if (this.folding.unicode) k = k.normalize('NFC');
    if (this.folding.case) k = k.toLowerCase();
    return k;
  }
  check(header: TarHeader): CheckedMember | undefined {
    const shown = JSON.stringify(header.path);
    const p = normaliseMemberPath(header.path);
    if (p === '') {
      if (header.type === 'dir') return undefined;
      throw new UnsafeArchiveError(`member ${shown} names the root folder but is not a folder`);
    }
    const parts = p.split('/');
    for (let i = 1; i < parts.length; i++) {
      const ancestor = parts.slice(0, i).join('/');
      const seen = this.seen.get(this.key(ancestor));
      if (seen?.kind === 'symlink') throw new UnsafeArchiveError(`member ${shown} would be written through the symlink ${JSON.stringify(seen.path)}`);
      if (seen?.kind === 'file') throw new UnsafeArchiveError(`member ${shown} is inside ${JSON.stringify(seen.path)}, which is a file`);
      if (seen && seen.path !== ancestor) throw new UnsafeArchiveError(`member ${shown} and ${JSON.stringify(seen.path)} name the same folder on this filesystem`);
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
      const target = normaliseLinkTarget(raw, shown);
      const original = this.seen.get(this.key(target));
      if (!target || !original) throw new UnsafeArchiveError(`hard link ${shown} points to ${JSON.stringify(raw)}, which is not an earlier member`);
      if (original.kind !== 'file') throw new UnsafeArchiveError(`hard link ${shown} points to ${JSON.stringify(raw)}, which is not a regular file`);
      linkTarget = this.hardlinks.get(original.path) ?? original.path;
      this.hardlinks.set(p, linkTarget);
    }
    if (header.type === 'symlink' && !header.linkname) throw new UnsafeArchiveError(`symlink ${shown} has no target`);
    this.seen.set(key, { kind: header.type === 'hardlink' ? 'file' : header.type, path: p });
    return { path: p, type: header.type as CheckedMember['type'], ...(linkTarget !== undefined ? { linkTarget } : {}) };
  }
}

const outcome = (checker: { check(header: TarHeader): CheckedMember | undefined }, header: TarHeader) => {
  try {
    return checker.check(header) ?? 'skipped';
  } catch (error) {
    return `refused: ${(error as Error).message}`;
  }
};

const FOLDINGS: NameFolding[] = [EXACT_NAMES, { case: true, unicode: false }, { case: false, unicode: true }, { case: true, unicode: true }];

describe('member checker rules', () => {
  for (const folding of FOLDINGS) {
    for (const hash of [undefined, collide]) {
      const label = `case ${folding.case}, unicode ${folding.unicode}${hash ? ', colliding hashes' : ''}`;
      it(`refuses every unsafe member (${label})`, () => {
        const checker = new MemberChecker(folding, hash);
        expect(checker.check(h('app/etc/env.php'))).toEqual({ path: 'app/etc/env.php', type: 'file' });
        expect(checker.check(h('pub/media', 'symlink', '/srv/media'))).toEqual({ path: 'pub/media', type: 'symlink' });
        expect(() => checker.check(h('/etc/passwd'))).toThrow(/absolute path/);
        expect(() => checker.check(h('app/../../etc/passwd'))).toThrow(/climbs out/);
        expect(() => checker.check(h('pub/media/x.jpg'))).toThrow(/through the symlink "pub\/media"/);
        expect(() => checker.check(h('pub/media/a/b/c.jpg'))).toThrow(/through the symlink/);
        expect(() => checker.check(h('app/etc/env.php/x'))).toThrow(/inside "app\/etc\/env.php", which is a file/);
        expect(() => checker.check(h('app/etc/env.php'))).toThrow(/appears twice/);
        expect(() => checker.check(h('./app//etc/env.php'))).toThrow(/appears twice/);
        expect(() => checker.check(h('pub/media', 'dir'))).toThrow(/appears twice/);
        expect(() => checker.check(h('app/etc', 'file'))).toThrow(/is a file but earlier members are inside it/);
        expect(() => checker.check(h('app', 'symlink', '/'))).toThrow(/is a symlink but earlier members are inside it/);
        expect(checker.check(h('app/etc', 'dir'))).toEqual({ path: 'app/etc', type: 'dir' });
        expect(() => checker.check(h('app/etc', 'dir'))).toThrow(/appears twice/);
        expect(() => checker.check(h('l1', 'hardlink', 'app/etc/missing'))).toThrow(/not an earlier member/);
        expect(() => checker.check(h('l1', 'hardlink', 'app/etc'))).toThrow(/not a regular file/);
        expect(() => checker.check(h('l1', 'hardlink', 'app'))).toThrow(/not a regular file/);
        expect(() => checker.check(h('l1', 'hardlink', 'pub/media'))).toThrow(/not a regular file/);
        expect(() => checker.check(h('l1', 'hardlink', '../x'))).toThrow(/points outside the archive/);
        expect(() => checker.check(h('l1', 'hardlink', './'))).toThrow(/not an earlier member/);
        expect(() => checker.check(h('l1', 'hardlink', 'app/etc/env.php/x'))).toThrow(/not an earlier member/);
        expect(checker.check(h('l1', 'hardlink', 'app/etc/env.php'))).toEqual({ path: 'l1', type: 'hardlink', linkTarget: 'app/etc/env.php' });
        expect(checker.check(h('l2', 'hardlink', 'l1'))).toEqual({ path: 'l2', type: 'hardlink', linkTarget: 'app/etc/env.php' });
        expect(() => checker.check(h('l1/x'))).toThrow(/inside "l1", which is a file/);
        expect(() => checker.check(h('l2', 'hardlink', 'l1'))).toThrow(/appears twice/);
        expect(() => checker.check(h('dev', 'chardev'))).toThrow(/device file/);
        expect(() => checker.check(h('s', 'symlink'))).toThrow(/has no target/);
        expect(checker.check(h('./', 'dir'))).toBeUndefined();
        expect(() => checker.check(h('./', 'file'))).toThrow(/root folder/);
      });

      it(`refuses names the filesystem would fold together, and only those (${label})`, () => {
        const checker = new MemberChecker(folding, hash);
        checker.check(h('App/Café.php')); // NFC é
        const nfd = 'Cafe\u0301.php';
        const sameFolder = () => checker.check(h('app/x'));
        const sameCase = () => checker.check(h('App/café.php'));
        const sameForm = () => checker.check(h(`App/${nfd}`));
        if (folding.case) expect(sameFolder).toThrow(/"app\/x" and "App" name the same folder/);
        else expect(sameFolder()).toEqual({ path: 'app/x', type: 'file' });
        if (folding.case) expect(sameCase).toThrow(/"App\/Café.php" and "App\/café.php" name the same file/);
        else expect(sameCase()?.path).toBe('App/café.php');
        if (folding.unicode) expect(sameForm).toThrow(/name the same file/);
        else expect(sameForm()?.path).toBe(`App/${nfd}`);
        // A hard link finds its original as the filesystem would, and names it as the archive spelled it.
        const link = () => checker.check(h('link', 'hardlink', 'APP/CAFÉ.PHP'));
        if (folding.case) expect(link()).toEqual({ path: 'link', type: 'hardlink', linkTarget: 'App/Café.php' });
        else expect(link).toThrow(/not an earlier member/);
      });
    }
  }
});

describe('name table', () => {
  it('tells apart names whose hashes all collide, through every growth of its arrays', () => {
    const table = new NameTable(undefined, () => 7);
    const ids: number[] = [];
    for (let i = 0; i < 3000; i++) {
      const name = `${'n'.repeat(i % 40)}${i}`;
      expect(table.find(ROOT, name)).toBe(0);
      ids.push(table.add(ROOT, name, i % 2 ? FILE : DIR));
    }
    expect(table.size).toBe(3000);
    for (let i = 0; i < 3000; i++) {
      const id = table.find(ROOT, `${'n'.repeat(i % 40)}${i}`);
      expect(id).toBe(ids[i]);
      expect(table.kindOf(id)).toBe(i % 2 ? FILE : DIR);
    }
    expect(table.find(ROOT, 'x1')).toBe(0);
    expect(table.find(ids[0], '0')).toBe(0); // same name, other folder
  });

  it('keeps the spelling apart from the folded name', () => {
    const table = new NameTable((name) => name.toLowerCase());
    const app = table.add(ROOT, 'App', IMPLICIT);
    const file = table.add(app, 'Index.PHP', FILE);
    expect(table.find(ROOT, 'APP')).toBe(app);
    expect(table.sameSpelling(app)).toBe(false);
    expect(table.find(ROOT, 'App')).toBe(app);
    expect(table.sameSpelling(app)).toBe(true);
    expect(table.find(app, 'index.php')).toBe(file);
    expect(table.pathOf(file)).toBe('App/Index.PHP');
    const long = 'é'.repeat(120); // 240 bytes of UTF-8: well past the arena's first growth after enough of them
    for (let i = 0; i < 400; i++) table.add(file, `${long}${i}`, FILE);
    expect(table.pathOf(table.find(file, `${long.toUpperCase()}399`))).toBe(`App/Index.PHP/${long}399`);
  });
});

describe('member checker against the full-path reference', () => {
  // Few short names, so that duplicates, folded twins, files used as folders, links through symlinks and
  // links to every kind of entry all come up often.
  const NAMES = ['a', 'A', 'b', 'caf\u00e9', 'cafe\u0301', 'CAF\u00c9', '.', '..', ''];
  const TYPES: TarHeader['type'][] = ['file', 'file', 'file', 'dir', 'dir', 'symlink', 'hardlink'];
  let seed = 1;
  const pick = <T>(list: T[]): T => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return list[(seed >>> 8) % list.length];
  };
  const randomPath = () => Array.from({ length: 1 + ((seed >>> 3) % 4) }, () => pick(NAMES)).join('/');

  for (const folding of FOLDINGS) {
    for (const hash of [undefined, collide]) {
      it(`decides as the reference (case ${folding.case}, unicode ${folding.unicode}${hash ? ', colliding hashes' : ''})`, () => {
        for (let archive = 0; archive < 300; archive++) {
          const reference = new ReferenceChecker(folding);
          const checker = new MemberChecker(folding, hash);
          for (let member = 0; member < 30; member++) {
            const type = pick(TYPES);
            const header = h(randomPath(), type, type === 'symlink' ? 'x' : type === 'hardlink' ? randomPath() : undefined);
            expect(outcome(checker, header), `${type} ${header.path} -> ${header.linkname}`).toEqual(outcome(reference, header));
          }
        }
      });
    }
  }
});

describe('folder metadata', () => {
  it('keeps every folder exactly, through growth, and lists them deepest first', () => {
    const folders = new FolderMetas();
    const wide = 2n ** 70n; // past 64 bits: kept as it is, not wrapped
    for (let i = 0; i < 1000; i++) {
      const rel = Array.from({ length: 1 + (i % 5) }, (_, d) => `d${d}`).join('/') + `/f${i}`;
      folders.set(rel, { mode: 0o755 - (i % 8), uid: 2 ** 40 + i, gid: i, mtimeNs: i === 7 ? wide : -1_000_000_000n * BigInt(i) - 1n });
    }
    expect(folders.size).toBe(1000);
    expect(folders.get('d0/d1/d2/f7')).toEqual({ mode: 0o755 - 7, uid: 2 ** 40 + 7, gid: 7, mtimeNs: wide });
    expect(folders.get('d0/f5')).toEqual({ mode: 0o755 - 5, uid: 2 ** 40 + 5, gid: 5, mtimeNs: -5_000_000_001n });
    expect(folders.has('d0')).toBe(false);
    folders.set('d0/f5', { mode: 0o700, uid: 0, gid: 0, mtimeNs: wide });
    folders.set('d0/f5', { mode: 0o700, uid: 0, gid: 0, mtimeNs: 3n });
    expect(folders.get('d0/f5')).toEqual({ mode: 0o700, uid: 0, gid: 0, mtimeNs: 3n });
    const depths = [...folders.pendingDeepestFirst()].map(([rel]) => depthOf(rel));
    expect(depths).toHaveLength(1000);
    expect(depths).toEqual([...depths].sort((a, b) => b - a));
    // Applied ones drop out of the pending list until something is added to them again.
    folders.applied('d0/f5');
    folders.applied('d0/d1/d2/f7');
    folders.applied('not/listed');
    expect([...folders.pendingDeepestFirst()].map(([rel]) => rel)).not.toContain('d0/f5');
    expect([...folders.pendingDeepestFirst()]).toHaveLength(998);
    folders.reopen('d0/f5');
    folders.reopen('not/listed');
    expect([...folders.pendingDeepestFirst()].map(([rel]) => rel)).toContain('d0/f5');
    expect([...folders.pendingDeepestFirst()]).toHaveLength(999);
    expect(folders.has('d0/d1/d2/f7')).toBe(true); // still listed, for re-applying after the swap
  });

  it('tells which open folders a member leaves, innermost first, and which it goes back into', () => {
    const inside = new OpenFolders();
    const between = (rel: string) => {
      const found: string[] = [];
      inside.between(rel, (folder) => found.push(folder));
      return found;
    };
    const leaving = (rel: string) => {
      const left: string[] = [];
      for (let folder = inside.leave(rel); folder !== undefined; folder = inside.leave(rel)) left.push(folder);
      return left;
    };
    inside.enter('app');
    inside.enter('app/code');
    inside.enter('app/code/Vendor');
    expect(leaving('app/code/Vendor/a.php')).toEqual([]);
    expect(between('app/code/Vendor/a.php')).toEqual([]);
    // "app/codex" is not inside "app/code": a name that only starts the same does not count.
    expect(leaving('app/codex')).toEqual(['app/code/Vendor', 'app/code']);
    expect(leaving('pub')).toEqual(['app']);
    expect(leaving('pub')).toEqual([]);
    // Back into folders left before (an archive not in tar's usual order), or never listed.
    inside.enter('pub');
    expect(between('pub/media/catalog/x.jpg')).toEqual(['pub/media/catalog', 'pub/media']);
    expect(between('pub/x.jpg')).toEqual([]);
    expect(leaving('app/code/b.php')).toEqual(['pub']);
    expect(between('app/code/b.php')).toEqual(['app/code', 'app']);
  });
});

describe('member path normalisation', () => {
  /** The rules written out plainly: what the one-pass check for paths already normal must agree with. */
  const reference = (raw: string): string => {
    if (raw.includes('\0')) return 'NUL';
    if (raw.startsWith('/')) return 'absolute';
    const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
    if (parts.includes('..')) return 'climbs';
    if (parts.some((p) => Buffer.byteLength(p) > 255)) return 'long';
    return parts.join('/');
  };
  const attempt = (raw: string) => {
    try {
      return normaliseMemberPath(raw);
    } catch (error) {
      return ((error as Error).message.match(/NUL|absolute|climbs|long/) ?? ['?'])[0].toString();
    }
  };
  const PIECES = ['a', 'é', '.', '..', '...', '.a', '', '\0', 'x'.repeat(85), 'x'.repeat(86), 'é'.repeat(85), '😀'.repeat(42), '😀'.repeat(64), 'ー'.repeat(86)];
  it('takes a path that is already normal as it is, and only such a path', () => {
    let seed = 7;
    for (let i = 0; i < 20000; i++) {
      const parts: string[] = [];
      for (let n = 1 + (i % 4); n > 0; n--) {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        parts.push(PIECES[(seed >>> 8) % PIECES.length]);
      }
      const raw = parts.join('/');
      expect(attempt(raw), JSON.stringify(raw)).toBe(reference(raw));
    }
  });
});
