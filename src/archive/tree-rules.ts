// Which paths of a shop tree an archive covers. Paths are relative to the shop root, '/'-separated.
// Built-in ignores are whole path prefixes (so `.git` leaves out `.git` and `.git/...` but keeps
// `.gitignore` and `.github/`); extra patterns are globs; a scope narrows the tree to or away from the
// media folders. The same rules decide what a backup leaves out and what a rollback leaves untouched.
import { STORE_LEVEL } from './codec/codec.js';

/** Magento's media folders: `pub/media`, and `media` in shops that serve from the root. */
export const MEDIA_ROOTS = ['pub/media', 'media'] as const;

/** Left out of every archive and never touched by a rollback (caches, sessions, logs, VCS data). */
export const BUILTIN_IGNORES = [
  'var/cache',
  'var/page_cache',
  'var/session',
  'var/log',
  'var/report',
  'var/locks',
  'var/tmp',
  'var/.maintenance.flag',
  '.git',
] as const;

/** A rollback's work folder: `.lifeboat-rollback-<job>`, beside the shop root or inside a swapped folder. */
export const WORK_FOLDER_PREFIX = '.lifeboat-rollback-';

/** Work folders, left out wherever they appear (recovery removes a crashed rollback's); earlier versions named them `.lifeboat-stage-*`. */
const WORK_FOLDER_PREFIXES = [WORK_FOLDER_PREFIX, '.lifeboat-stage-'];
/** The same, after a slash: made once, not once per path checked (leavesOut runs for every member of a rollback). */
const WORK_FOLDER_INNER = WORK_FOLDER_PREFIXES.map((prefix) => `/${prefix}`);

/** all: the whole tree; nomedia: without the media folders; media: only the media folders. */
export type TreeScope = 'all' | 'nomedia' | 'media';

export interface TreeRulesOptions {
  scope: TreeScope;
  /** Extra path prefixes to leave out (e.g. the backup folder when it is inside the root). */
  prefixes?: string[];
  /** Globs from LIFEBOAT_EXCLUDE. */
  globs?: string[];
}

interface Glob {
  pattern: string;
  regex: RegExp;
  /** Patterns without a slash match a name at any depth; others match the path from the root. */
  anchored: boolean;
  /** The pattern's leading segments without wildcards ('' when it starts with one). */
  literalPrefix: string;
}

/** `rel` is `prefix` or below it (compared in place: this runs for every member of a rollback). */
const under = (rel: string, prefix: string) =>
  rel.startsWith(prefix) && (rel.length === prefix.length || rel.charCodeAt(prefix.length) === 0x2f);

/** `rel` is `prefix` or below it ('' holds everything). */
export const isUnder = (rel: string, prefix: string) => prefix === '' || rel === prefix || rel.startsWith(prefix + '/');

/** Turns `*` (within a name), `**` (across folders) and `?` into a regular expression. */
export function globToRegExp(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*' && pattern[i + 1] === '*') {
      const slash = pattern[i + 2] === '/';
      out += slash ? '(?:.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else out += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`, 'u');
}

export function normaliseRelative(value: string): string {
  return value
    .split('/')
    .filter((part) => part !== '' && part !== '.')
    .join('/');
}

function compileGlob(raw: string): Glob | undefined {
  const trimmed = raw.trim();
  if (trimmed === '') return undefined;
  const anchored = trimmed.replace(/\/+$/, '').includes('/');
  const pattern = normaliseRelative(trimmed);
  const literal: string[] = [];
  for (const part of pattern.split('/')) {
    if (/[*?]/.test(part)) break;
    literal.push(part);
  }
  return { pattern, regex: globToRegExp(pattern), anchored, literalPrefix: anchored ? literal.join('/') : '' };
}

export class TreeRules {
  readonly scope: TreeScope;
  readonly prefixes: string[];
  private readonly globs: Glob[];

  /** `options` are kept as given: the same rules are built from them on a worker thread. */
  constructor(readonly options: TreeRulesOptions) {
    this.scope = options.scope;
    this.prefixes = [...BUILTIN_IGNORES, ...(options.prefixes ?? []).map(normaliseRelative).filter((p) => p !== '')];
    this.globs = (options.globs ?? []).map(compileGlob).filter((g): g is Glob => g !== undefined);
  }

  /** Every rule, as the manifest lists them. */
  describe(): string[] {
    return [...this.prefixes, ...this.globs.map((g) => g.pattern)];
  }

  private inScope(rel: string): boolean {
    if (this.scope === 'all') return true;
    const media = MEDIA_ROOTS.some((root) => under(rel, root));
    if (this.scope === 'media') return media;
    if (this.scope === 'nomedia') return !media;
    return true;
  }

  /** True for a folder that is not in scope itself but holds part of the scope (`pub` for media). */
  isScopeAncestor(rel: string): boolean {
    if (this.scope !== 'media') return false;
    return rel === '' || MEDIA_ROOTS.some((root) => root.startsWith(rel + '/'));
  }

  private globMatches(rel: string): boolean {
    if (this.globs.length === 0) return false;
    const parts = rel.split('/');
    for (let i = 1; i <= parts.length; i++) {
      const prefix = parts.slice(0, i).join('/');
      for (const glob of this.globs) {
        if (glob.regex.test(glob.anchored ? prefix : parts[i - 1])) return true;
      }
    }
    return false;
  }

  /** True when `rel` is not covered: ignored, excluded, or out of scope (its whole subtree with it). */
  leavesOut(rel: string): boolean {
    if (rel === '') return false;
    if (!this.inScope(rel)) return true;
    // Plain loops: a closure per call and a string per prefix was garbage for every member of a rollback.
    for (let i = 0; i < this.prefixes.length; i++) if (under(rel, this.prefixes[i])) return true;
    for (let i = 0; i < WORK_FOLDER_PREFIXES.length; i++) {
      if (rel.startsWith(WORK_FOLDER_PREFIXES[i]) || rel.includes(WORK_FOLDER_INNER[i])) return true; // a name that starts with it
    }
    return this.globMatches(rel);
  }

  /**
   * True when something left out may lie strictly below folder `rel`: a rollback must then merge that
   * folder entry by entry instead of replacing it whole. Conservative: true when unsure.
   */
  mayLeaveOutBelow(rel: string): boolean {
    if (rel === '') return true;
    if (this.isScopeAncestor(rel)) return true;
    if (this.scope === 'nomedia' && MEDIA_ROOTS.some((root) => root.startsWith(rel + '/'))) return true;
    if (this.prefixes.some((p) => p.startsWith(rel + '/'))) return true;
    return this.globs.some((g) => !g.anchored || g.literalPrefix === '' || g.literalPrefix.startsWith(rel + '/') || under(rel, g.literalPrefix));
  }
}

/** Already-compressed formats: stored in the archive without recompressing (level 0). */
const COMPRESSED_EXTENSIONS = new Set(
  'jpg jpeg png gif webp avif heic heif jxl mp4 m4v mov webm mkv avi mp3 m4a ogg oga opus flac aac zip gz tgz bz2 xz zst lz4 7z rar jar woff woff2 pdf'.split(' '),
);

/** The compression level for a file's data: STORE_LEVEL for already-compressed formats, undefined (the default) otherwise. */
export function compressionLevelFor(rel: string): number | undefined {
  const dot = rel.lastIndexOf('.');
  if (dot === -1 || dot < rel.lastIndexOf('/')) return undefined;
  return COMPRESSED_EXTENSIONS.has(rel.slice(dot + 1).toLowerCase()) ? STORE_LEVEL : undefined;
}
