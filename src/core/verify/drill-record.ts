// What the last restore drills proved, kept in Lifeboat's state (a setting, like the schedule): the last
// drill and the last one that passed, for /metrics and `lifeboat drill --last`; a failed drill is told
// through the notification channels, as a failed backup is.
import type { Settings } from '../../config/settings.js';
import { StateStore } from '../../state/state.js';
import type { BackupRecord, BackupType } from '../../shared/types.js';
import { effectiveNotify } from '../notify/settings.js';
import { notify, type JobEvent } from '../notify/notify.js';
import { shopName } from '../operations.js';
import { tablesThatDiffer, type DrillResult } from './drill.js';

export const DRILLS_KEY = 'drills';

export interface DrillRecord {
  backupId: string;
  file: string;
  ok: boolean;
  finishedAt: string;
  seconds: number;
  tables: number;
  rows: number;
  /** The tables that did not come back as recorded (differing, missing or extra). */
  differing: string[];
}

export interface KeptDrills {
  last?: DrillRecord;
  lastOk?: DrillRecord;
}

export function drillRecord(record: BackupRecord, result: DrillResult, finishedAt = new Date()): DrillRecord {
  return {
    backupId: record.id,
    file: result.file,
    ok: result.ok,
    finishedAt: finishedAt.toISOString(),
    seconds: result.seconds,
    tables: result.tables.length,
    rows: result.tables.reduce((sum, t) => sum + t.restoredRows, 0),
    differing: tablesThatDiffer(result),
  };
}

/** The command that takes a new backup of a type, for the hint of a failed drill. */
const BACKUP_COMMANDS: Record<BackupType, string> = {
  db: 'backup db',
  system: 'backup system',
  nomedia: 'backup system --exclude-media',
  media: 'backup media',
  code: 'backup code',
};

/** Keeps the drill's outcome; tells the notification channels when it failed. */
export async function keepDrill(settings: Settings, drill: DrillRecord, type: BackupType, startedAt: Date, onNotice?: (line: string) => void): Promise<void> {
  await StateStore.with(settings, async (store) => {
    const kept = (await store.getSetting<KeptDrills>(DRILLS_KEY)) ?? {};
    await store.setSetting(DRILLS_KEY, { last: drill, lastOk: drill.ok ? drill : kept.lastOk } satisfies KeptDrills);
  });
  if (drill.ok) return;
  const config = await effectiveNotify(settings);
  if (!config) return;
  const event: JobEvent = {
    shop: shopName(settings),
    jobId: `drill of ${drill.backupId}`,
    kind: 'drill',
    type,
    state: 'failed',
    error: `${drill.file} did not restore as recorded: ${drill.differing.join(', ')}`,
    hint: `take a new backup now (lifeboat ${BACKUP_COMMANDS[type]}) and drill it; keep the failing archive to find out why`,
    file: drill.file,
    startedAt: startedAt.toISOString(),
    finishedAt: drill.finishedAt,
  };
  for (const outcome of await notify(config, event)) if (!outcome.ok) onNotice?.(`could not send the drill's failure by ${outcome.channel}: ${outcome.error}`);
}

/** The kept drills (for /metrics). */
export async function keptDrills(store: StateStore): Promise<KeptDrills> {
  return (await store.getSetting<KeptDrills>(DRILLS_KEY)) ?? {};
}
