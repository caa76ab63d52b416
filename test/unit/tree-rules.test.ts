// What file archives cover: whole path prefixes (not substrings), globs, scopes; which folders a rollback
// must merge instead of replacing; the member checker's rules on their own.
import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TarHeader } from '../../src/archive/tar-header.js';
import { MemberChecker, normaliseMemberPath, probeNameFolding } from '../../src/archive/tar-safety.js';
import { compressionLevelFor, globToRegExp, TreeRules } from '../../src/archive/tree-rules.js';
import { walkTree, type WalkEntry } from '../../src/archive/walk.js';

describe('tree rules', () => {
  it('leaves out whole path prefixes, not substrings', () => {
    const rules = new TreeRules({ scope: 'all' });
    for (const out of ['.git', '.git/HEAD', 'var/cache', 'var/cache/mage--1/x', 'var/page_cache/a', 'var/session/s', 'var/log/x.log', 'var/report/1', 'var/locks/a', 'var/tmp/a', 'var/.maintenance.flag', 'pub/.lifeboat-stage-abc/x', '.lifeboat-rollback-j1234abcd/tree/x', 'pub/media/.lifeboat-rollback-j1/prev']) {
      expect(rules.leavesOut(out), out).toBe(true);
    }
    for (const kept of ['.gitignore', '.github/workflows/ci.yml', 'var/cache2', 'var/logs/x', 'app/var/cache/x', 'var/.maintenance.ip', 'var/import/a.csv']) {
      expect(rules.leavesOut(kept), kept).toBe(false);
    }
  });

  it('adds folders and globs: anchored when they hold a slash, any depth otherwise', () => {
    const rules = new TreeRules({ scope: 'all', prefixes: ['var/backups', './var/lifeboat/'], globs: ['*.bak', 'pub/static/**', 'app/etc/env.php', 'generated/*/Interceptor?.php'] });
    expect(rules.leavesOut('var/backups/1_db.sql.gz')).toBe(true);
    expect(rules.leavesOut('var/lifeboat/state.db')).toBe(true);
    expect(rules.leavesOut('a/b/c.bak')).toBe(true);
    expect(rules.leavesOut('a/b.bak/inside')).toBe(true); // a matching folder takes its subtree with it
    expect(rules.leavesOut('a/b.bakx')).toBe(false);
    expect(rules.leavesOut('pub/static/frontend/x.css')).toBe(true);
    expect(rules.leavesOut('pub/static')).toBe(false); // as in .gitignore: dir/** is what is inside dir
    expect(rules.leavesOut('x/pub/static/y')).toBe(false);
    expect(rules.leavesOut('app/etc/env.php')).toBe(true);
    expect(rules.leavesOut('app/etc/config.php')).toBe(false);
    expect(rules.leavesOut('generated/code/Interceptor1.php')).toBe(true);
    expect(rules.leavesOut('generated/code/Interceptor12.php')).toBe(false);
    expect(globToRegExp('a/**/b').test('a/b')).toBe(true);
    expect(globToRegExp('a/**/b').test('a/x/y/b')).toBe(true);
    expect(globToRegExp('(x).[y]+').test('(x).[y]+')).toBe(true);
  });

  it('scopes: nomedia leaves the media folders out; media keeps only them', () => {
    const nomedia = new TreeRules({ scope: 'nomedia' });
    expect(nomedia.leavesOut('pub/media/x.jpg')).toBe(true);
    expect(nomedia.leavesOut('media/x.jpg')).toBe(true);
    expect(nomedia.leavesOut('pub/index.php')).toBe(false);
    expect(nomedia.leavesOut('pub/mediaX')).toBe(false);
    const media = new TreeRules({ scope: 'media' });
    expect(media.leavesOut('pub/media/x.jpg')).toBe(false);
    expect(media.leavesOut('app/etc/env.php')).toBe(true);
    expect(media.leavesOut('pub')).toBe(true);
    expect(media.isScopeAncestor('pub')).toBe(true);
    expect(media.isScopeAncestor('pub/static')).toBe(false);
  });

  it('knows which folders a rollback must merge rather than replace whole', () => {
    const rules = new TreeRules({ scope: 'all', prefixes: ['var/backups'], globs: ['pub/static/deployed/**'] });
    expect(rules.mayLeaveOutBelow('')).toBe(true);
    expect(rules.mayLeaveOutBelow('var')).toBe(true); // var/cache, var/backups, ...
    expect(rules.mayLeaveOutBelow('pub')).toBe(true); // pub/static/deployed
    expect(rules.mayLeaveOutBelow('pub/static')).toBe(true);
    expect(rules.mayLeaveOutBelow('app')).toBe(false);
    expect(rules.mayLeaveOutBelow('vendor/x')).toBe(false);
    expect(new TreeRules({ scope: 'nomedia' }).mayLeaveOutBelow('pub')).toBe(true);
    expect(new TreeRules({ scope: 'all' }).mayLeaveOutBelow('pub')).toBe(false);
    expect(new TreeRules({ scope: 'all', globs: ['*.log'] }).mayLeaveOutBelow('app/code')).toBe(true); // could be anywhere
  });

  it('stores already-compressed formats and compresses the rest', () => {
    expect(compressionLevelFor('pub/media/a/B.JPG')).toBe(0);
    expect(compressionLevelFor('x.tar.gz')).toBe(0);
    expect(compressionLevelFor('app/code/x.php')).toBeUndefined();
    expect(compressionLevelFor('pub/media.jpg/readme')).toBeUndefined();
    expect(compressionLevelFor('noext')).toBeUndefined();
  });
});

describe('walk', () => {
  it('follows a symlinked media root, stores other symlinks, and leaves out the backup folder wherever it is', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'lifeboat-walk-'));
    const root = path.join(dir, 'shop');
    await mkdir(path.join(dir, 'media/x'), { recursive: true });
    await writeFile(path.join(dir, 'media/x/a.jpg'), 'a');
    await mkdir(path.join(dir, 'media/backups'));
    await writeFile(path.join(dir, 'media/backups/1_db.sql.gz'), 'b');
    await mkdir(path.join(root, 'pub'), { recursive: true });
    await symlink(path.join(dir, 'media'), path.join(root, 'pub/media'));
    await symlink('../pub', path.join(root, 'pub/self'));
    await writeFile(path.join(root, '.gitignore'), '');
    await mkdir(path.join(root, '.git'));
    await writeFile(path.join(root, '.git/HEAD'), '');
    const { identityOf } = await import('../../src/archive/walk.js');
    const skip = [await identityOf(path.join(dir, 'media/backups'))].filter((x) => x !== undefined);
    const seen: WalkEntry[] = [];
    const warnings: string[] = [];
    await walkTree(root, { rules: new TreeRules({ scope: 'all' }), skip, onWarning: (w) => warnings.push(w) }, async (e) => void seen.push(e));
    expect(seen.map((e) => `${e.kind} ${e.rel}`)).toEqual(['file .gitignore', 'dir pub', 'dir pub/media', 'dir pub/media/x', 'file pub/media/x/a.jpg', 'symlink pub/self']);
    expect(seen.find((e) => e.rel === 'pub/media')?.followedTarget).toBe(path.join(dir, 'media'));
    expect(warnings).toEqual([]);
  });
});

describe('member checker', () => {
  const h = (p: string, type: TarHeader['type'] = 'file', linkname?: string): TarHeader => ({ path: p, type, mode: 0o644, uid: 0, gid: 0, size: 0, mtimeNs: 0n, ...(linkname ? { linkname } : {}) });

  it('normalises paths and refuses absolute ones, .. and NUL', () => {
    expect(normaliseMemberPath('./a//b/./c/')).toBe('a/b/c');
    expect(normaliseMemberPath('./')).toBe('');
    expect(() => normaliseMemberPath('/etc/passwd')).toThrow(/absolute/);
    expect(() => normaliseMemberPath('a/../../b')).toThrow(/climbs out/);
    expect(() => normaliseMemberPath('a/..')).toThrow(/climbs out/);
    expect(() => normaliseMemberPath('a\0b')).toThrow(/NUL/);
    expect(() => normaliseMemberPath(`a/${'x'.repeat(256)}`)).toThrow(/longer than 255/);
    expect(normaliseMemberPath('a/..b/c..')).toBe('a/..b/c..'); // dots inside names are fine
  });

  it('lets folders be listed after their contents, resolves hard links to the original file', () => {
    const checker = new MemberChecker();
    expect(checker.check(h('./', 'dir'))).toBeUndefined();
    expect(checker.check(h('a/b/c'))).toEqual({ path: 'a/b/c', type: 'file' });
    expect(checker.check(h('a/b', 'dir'))).toEqual({ path: 'a/b', type: 'dir' });
    expect(checker.check(h('a/l1', 'hardlink', 'a/b/c'))).toEqual({ path: 'a/l1', type: 'hardlink', linkTarget: 'a/b/c' });
    expect(checker.check(h('a/l2', 'hardlink', './a/l1'))).toEqual({ path: 'a/l2', type: 'hardlink', linkTarget: 'a/b/c' });
    expect(checker.check(h('a/abs', 'symlink', '/etc'))).toEqual({ path: 'a/abs', type: 'symlink' }); // a symlink itself is fine
    expect(() => checker.check(h('a/abs/x'))).toThrow(/through the symlink/);
    expect(() => checker.check(h('a/b', 'dir'))).toThrow(/twice/);
    expect(() => checker.check(h('a/b/c/d'))).toThrow(/which is a file/);
    expect(() => checker.check(h('a/b', 'file'))).toThrow(/twice/);
  });

  it('folds names as the filesystem does', async () => {
    const folding = new MemberChecker({ case: true, unicode: true });
    folding.check(h('App/café'));
    expect(() => folding.check(h('app/x'))).toThrow(/same folder/);
    expect(() => folding.check(h('App/CAFE\u0301'))).toThrow(/same file/);
    const exact = new MemberChecker();
    exact.check(h('App/café'));
    expect(exact.check(h('app/cafe\u0301'))?.path).toBe('app/cafe\u0301');
    expect(await probeNameFolding(await mkdtemp(path.join(tmpdir(), 'lifeboat-probe-')))).toEqual({ case: false, unicode: false }); // ext4
  });
});
