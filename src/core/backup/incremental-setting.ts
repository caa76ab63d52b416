// Whether tree backups go into the incremental store by default: LIFEBOAT_INCREMENTAL or the config
// file when set (they win, as they do over the page's notification targets), else the Settings page's
// choice, kept in Lifeboat's state, else no. A backup command's --incremental or --full wins over all.
import type { Settings } from '../../config/settings.js';
import { StateStore } from '../../state/state.js';
import { UsageError } from '../../shared/errors.js';

export const INCREMENTAL_KEY = 'incremental';

interface StoredIncremental {
  incremental: boolean;
  savedAt: string;
}

/** The default for tree backups, as it is in force now. */
export async function effectiveIncremental(settings: Settings, store?: StateStore): Promise<boolean> {
  if (settings.incremental !== undefined) return settings.incremental;
  const stored = store ? await store.getSetting<StoredIncremental>(INCREMENTAL_KEY) : await StateStore.with(settings, (s) => s.getSetting<StoredIncremental>(INCREMENTAL_KEY));
  return stored?.incremental ?? false;
}

/** The setting is fixed by the environment or the config file: the page shows it and may not change it. */
export const incrementalFixed = (settings: Settings): boolean => settings.incremental !== undefined;

/** Saves the page's choice; refuses one the environment fixes. */
export async function saveIncremental(settings: Settings, store: StateStore, incremental: boolean): Promise<void> {
  if (incrementalFixed(settings)) {
    if (incremental === settings.incremental) return;
    throw new UsageError('incremental backups are fixed by LIFEBOAT_INCREMENTAL or the config file; change it there');
  }
  await store.setSetting(INCREMENTAL_KEY, { incremental, savedAt: new Date().toISOString() } satisfies StoredIncremental);
}
