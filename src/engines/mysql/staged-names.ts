// The staging schema starts empty, so a dump's DROP ... IF EXISTS of an object the replay has not made
// yet drops nothing there. Left out, it costs nothing; run, it costs a round trip and, with the binary log
// on, a logged statement (about 3.5 ms each: a quarter of a second for a 60-table dump, which drops each
// table before creating it). Once a statement may have renamed something, names are no longer followed
// and every drop runs.
import type { StatementInfo } from './restore-parse.js';

/** Each kind of object that a drop can name, by the namespace its name lives in. */
function namespaceOf(info: StatementInfo): string | undefined {
  switch (info.kind) {
    case 'create-table':
    case 'create-view':
    case 'create-sequence':
    case 'drop-table':
    case 'drop-view':
    case 'drop-sequence':
      return 'table'; // tables, views and sequences share one namespace
    case 'create-trigger':
    case 'drop-trigger':
      return 'trigger';
    case 'create-event':
    case 'drop-event':
      return 'event';
    case 'create-routine':
    case 'drop-routine':
      return info.routineType;
    default:
      return undefined;
  }
}

export class StagedNames {
  private readonly made = new Set<string>();
  private followed = true;

  /** Notes what `info` creates; true when it is a DROP ... IF EXISTS that finds nothing to drop. */
  dropsNothing(info: StatementInfo, text: Buffer): boolean {
    if (!this.followed) return false;
    if (info.kind === 'rename' || info.kind === 'other' || (info.kind === 'alter-table' && /\bRENAME\b/i.test(text.toString('latin1')))) {
      this.followed = false;
      return false;
    }
    const namespace = namespaceOf(info);
    if (namespace === undefined || info.objects.length === 0) return false;
    const keys = info.objects.map((ref) => `${namespace}:${ref.name}`);
    if (!info.kind.startsWith('drop-')) {
      for (const key of keys) this.made.add(key);
      return false;
    }
    return info.ifExists === true && keys.every((key) => !this.made.has(key));
  }
}
