// Notification targets as stored settings (edited on the admin page's Settings view), with the
// environment and the config file still winning: a field set there (LIFEBOAT_NOTIFY_* or the file's
// `notify` object, already merged into settings.notify by config/notify.ts) overrides the stored one,
// and the page shows it as fixed. Jobs and the scheduler read the effective result at the moment they
// notify, so a change on the page applies to the next job without a restart. Passwords and tokens are
// sealed in the state with a key kept elsewhere (stored-secrets.ts).
import { StateStore } from '../../state/state.js';
import type { Settings } from '../../config/settings.js';
import { parseNotifyConfig, rememberNotifySecrets, type NotifyConfig, type SmtpConfig } from '../../config/notify-config.js';
import { isSealed, openSecret, sealSecret, secretKeyFileOf, type SecretKeyPlace } from '../stored-secrets.js';

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

/** The stored fields that hold a password or token: sealed in the state (see stored-secrets.ts). */
const SECRET_FIELDS = {
  webhookUrl: { field: 'notify.webhookUrl', what: 'the webhook URL' },
  smtpUrl: { field: 'notify.smtp.url', what: 'the SMTP server URL' },
} as const;

type SecretField = keyof typeof SECRET_FIELDS;

/**
 * The stored targets' secret fields as they are in the state (sealed, or plain from before sealing).
 * Only strings: what else a hand-edited row holds is refused by parseNotifyConfig afterwards.
 */
function secretValues(saved: StoredNotify): Partial<Record<SecretField, string>> {
  const { webhookUrl } = saved;
  const smtpUrl = saved.smtp?.url;
  return { ...(typeof webhookUrl === 'string' && webhookUrl ? { webhookUrl } : {}), ...(typeof smtpUrl === 'string' && smtpUrl ? { smtpUrl } : {}) };
}

/** The targets with each secret field passed through `change` (seal or open). */
async function withSecrets(saved: StoredNotify, change: (value: string, field: SecretField) => Promise<string>): Promise<StoredNotify> {
  const values = secretValues(saved);
  return {
    ...saved,
    ...(values.webhookUrl ? { webhookUrl: await change(values.webhookUrl, 'webhookUrl') } : {}),
    ...(values.smtpUrl ? { smtp: { ...(saved.smtp as SmtpConfig), url: await change(values.smtpUrl, 'smtpUrl') } } : {}),
  };
}

async function readSaved(store: StateStore): Promise<StoredNotify | undefined> {
  const saved = await store.getSetting<StoredNotify | null>(NOTIFY_KEY);
  return saved ?? undefined;
}

export async function loadStoredNotify(store: StateStore, place: SecretKeyPlace): Promise<StoredNotify> {
  const saved = await readSaved(store);
  if (!saved) return {};
  const opened = await withSecrets(saved, (value, field) => openSecret(place, SECRET_FIELDS[field].field, value));
  // Validated when saved; parsed again so a hand-edited row cannot reach the senders unchecked.
  const { webhookUrl, smtp, onSuccess } = parseNotifyConfig(opened);
  const targets = { ...(webhookUrl ? { webhookUrl } : {}), ...(smtp ? { smtp } : {}), ...(onSuccess !== undefined ? { onSuccess } : {}) };
  rememberNotifySecrets(targets);
  return targets;
}

/** Saves the targets, validated, with their secrets sealed. */
export async function saveStoredNotify(store: StateStore, place: SecretKeyPlace, notify: StoredNotify): Promise<void> {
  const valid = parseNotifyConfig(notify);
  await store.setSetting(NOTIFY_KEY, await withSecrets(valid, (value, field) => sealSecret(place, SECRET_FIELDS[field].field, value)));
}

/**
 * Seals secrets saved in plain text by a version before sealing existed (run when `lifeboat serve`
 * starts). Returns a line saying what was done, or why it could not be (the targets keep working).
 */
export async function sealPlainStoredNotify(store: StateStore, place: SecretKeyPlace): Promise<string[]> {
  const saved = await readSaved(store);
  const plain = (Object.entries(secretValues(saved ?? {})) as [SecretField, string][]).filter(([, value]) => !isSealed(value));
  if (!saved || plain.length === 0) return [];
  const what = plain.map(([field]) => SECRET_FIELDS[field].what).join(' and ');
  const where = place.stateTarget ? 'the shared state' : 'lifeboat.db';
  try {
    await saveStoredNotify(store, place, await loadStoredNotify(store, place));
  } catch (error) {
    return [`warning: ${what} saved on the Settings page ${plain.length > 1 ? 'are' : 'is'} still in plain text in ${where}: ${(error as Error).message}`];
  }
  return [`${what} saved on the Settings page ${plain.length > 1 ? 'were' : 'was'} in plain text in ${where}; now encrypted with ${secretKeyFileOf(place)} (keep a copy of that key away from the state)`];
}

/** Stored targets overlaid with the fixed ones; undefined when there is no target at all. */
export function mergeNotify(stored: StoredNotify, fixed: NotifyConfig | undefined): NotifyConfig | undefined {
  const merged: NotifyConfig = { ...stored, ...fixed };
  return merged.webhookUrl || merged.smtp ? merged : undefined;
}

/** The notification targets in force now: stored settings overlaid with the environment and config file. */
export async function effectiveNotify(settings: Settings, store?: StateStore): Promise<NotifyConfig | undefined> {
  if (!store) return StateStore.with(settings, (own) => effectiveNotify(settings, own));
  return mergeNotify(await loadStoredNotify(store, settings), settings.notify);
}
