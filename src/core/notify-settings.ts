// Notification targets as stored settings (edited on the admin page's Settings view), with the
// environment and the config file still winning: a field set there (LIFEBOAT_NOTIFY_* or the file's
// `notify` object, already merged into settings.notify by config-notify.ts) overrides the stored one,
// and the page shows it as fixed. Jobs and the scheduler read the effective result at the moment they
// notify, so a change on the page applies to the next job without a restart.
import { StateStore } from '../catalog/state.js';
import type { Settings } from '../config.js';
import { parseNotifyConfig, type NotifyConfig } from './notify.js';

export const NOTIFY_KEY = 'notify';

/** What the page can edit (webhook headers stay in the config file). */
export type StoredNotify = Pick<NotifyConfig, 'webhookUrl' | 'smtp' | 'onSuccess'>;

/** The fields the page edits, each true when the environment or config file fixes it. */
export interface NotifyFixed {
  webhookUrl: boolean;
  smtp: boolean;
  onSuccess: boolean;
}

export function fixedNotifyFields(settings: Settings): NotifyFixed {
  const fixed = settings.notify ?? {};
  return { webhookUrl: fixed.webhookUrl !== undefined, smtp: fixed.smtp !== undefined, onSuccess: fixed.onSuccess !== undefined };
}

export async function loadStoredNotify(store: StateStore): Promise<StoredNotify> {
  const saved = await store.getSetting<unknown>(NOTIFY_KEY);
  if (saved === undefined || saved === null) return {};
  // Validated when saved; parsed again so a hand-edited row cannot reach the senders unchecked.
  const { webhookUrl, smtp, onSuccess } = parseNotifyConfig(saved);
  return { ...(webhookUrl ? { webhookUrl } : {}), ...(smtp ? { smtp } : {}), ...(onSuccess !== undefined ? { onSuccess } : {}) };
}

export async function saveStoredNotify(store: StateStore, notify: StoredNotify): Promise<void> {
  await store.setSetting(NOTIFY_KEY, parseNotifyConfig(notify));
}

/** Stored targets overlaid with the fixed ones; undefined when there is no target at all. */
export function mergeNotify(stored: StoredNotify, fixed: NotifyConfig | undefined): NotifyConfig | undefined {
  const merged: NotifyConfig = { ...stored, ...fixed };
  return merged.webhookUrl || merged.smtp ? merged : undefined;
}

/** The notification targets in force now: stored settings overlaid with the environment and config file. */
export async function effectiveNotify(settings: Settings, store?: StateStore): Promise<NotifyConfig | undefined> {
  if (!store) return StateStore.with(settings, (own) => effectiveNotify(settings, own));
  return mergeNotify(await loadStoredNotify(store), settings.notify);
}
