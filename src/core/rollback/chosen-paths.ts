// Restoring chosen paths of a tree backup (`rollback --path`, the page's Restore on a file or folder):
// the paths as the user gave them, checked and normalised, and the rules that narrow a tree rollback to
// them. The rollback is otherwise the whole-tree one (staging, journal, swap, recovery): these rules make
// its swap exchange only the chosen paths (a folder whole, so files the backup's folder lacks go) and
// merge the folders above them entry by entry, leaving everything else in the shop as it is.
import { isUnder, TreeRules } from '../../archive/tree-rules.js';
import { UsageError } from '../../shared/errors.js';

export { isUnder };

/**
 * The paths relative to the shop root, '/'-separated, without `.` parts or slashes at either end; one
 * inside another chosen one is dropped (the outer one restores it). Refuses absolute paths, `..`, and
 * the root itself (a whole rollback), each in a line naming the path.
 */
export function normaliseChosenPaths(raw: readonly string[], what = '--path'): string[] {
  const paths: string[] = [];
  for (const given of raw) {
    const shown = `${what} ${JSON.stringify(given)}`;
    if (given.includes('\0')) throw new UsageError(`${shown} holds a NUL byte; give a path relative to the shop root, e.g. app/etc/env.php`);
    if (given.startsWith('/')) throw new UsageError(`${shown} is absolute; give it relative to the shop root, e.g. app/etc/env.php`);
    const parts = given.split('/').filter((part) => part !== '' && part !== '.');
    if (parts.includes('..')) throw new UsageError(`${shown} climbs out of the shop root with ".."; give a path inside it, relative to the root`);
    if (parts.length === 0) throw new UsageError(`${shown} is the shop root itself; to restore everything, roll back without --path`);
    paths.push(parts.join('/'));
  }
  const unique = [...new Set(paths)];
  return unique.filter((p) => !unique.some((other) => other !== p && isUnder(p, other)));
}

/**
 * The rules of a tree rollback narrowed to `chosen`: what is not a chosen path or below one is left as it
 * is, and the folders above a chosen path count as scope ancestors (merged entry by entry, never replaced).
 */
export class ChosenPathRules extends TreeRules {
  constructor(
    base: TreeRules,
    readonly chosen: readonly string[],
  ) {
    super(base.options);
  }

  /** Whether `rel` is a chosen path or below one. */
  covers(rel: string): boolean {
    return this.chosen.some((p) => isUnder(rel, p));
  }

  override leavesOut(rel: string): boolean {
    if (rel === '') return false;
    return !this.covers(rel) || super.leavesOut(rel);
  }

  override isScopeAncestor(rel: string): boolean {
    return rel === '' || this.chosen.some((p) => p.startsWith(rel + '/')) || (this.covers(rel) && super.isScopeAncestor(rel));
  }

  override mayLeaveOutBelow(rel: string): boolean {
    return this.isScopeAncestor(rel) || super.mayLeaveOutBelow(rel);
  }
}

/** Refuses chosen paths the rollback would leave untouched whatever the backup holds (ignored or excluded ones). */
export function requireRestorable(rules: TreeRules, chosen: readonly string[]): void {
  for (const rel of chosen) {
    if (rules.leavesOut(rel) && !rules.isScopeAncestor(rel)) {
      throw new UsageError(`${rel} is a path Lifeboat leaves untouched in this shop (ignored, excluded, or outside this backup's scope); nothing was changed`);
    }
  }
}
