// Notification settings: the `notify` object of the config file, overridden field by field by
// LIFEBOAT_NOTIFY_* variables. Validated at start-up, so a typo shows now and not at 3 a.m.
import { UsageError } from '../shared/errors.js';
import { parseNotifyConfig, rememberNotifySecrets, type NotifyConfig } from './notify-config.js';

export function notifySettings(env: NodeJS.ProcessEnv, fromFile: unknown): { notify?: NotifyConfig } {
  if (fromFile !== undefined && (typeof fromFile !== 'object' || fromFile === null || Array.isArray(fromFile))) {
    throw new UsageError('config file: "notify" must be an object, e.g. {"webhookUrl": "https://hooks.example.com/x"}');
  }
  const merged: Record<string, unknown> = { ...((fromFile as Record<string, unknown> | undefined) ?? {}) };
  if (env.LIFEBOAT_NOTIFY_WEBHOOK) merged.webhookUrl = env.LIFEBOAT_NOTIFY_WEBHOOK;
  const smtpUrl = env.LIFEBOAT_NOTIFY_SMTP_URL;
  if (smtpUrl || env.LIFEBOAT_NOTIFY_FROM || env.LIFEBOAT_NOTIFY_TO) {
    const smtp = { ...((merged.smtp as Record<string, unknown> | undefined) ?? {}) };
    if (smtpUrl) smtp.url = smtpUrl;
    if (env.LIFEBOAT_NOTIFY_FROM) smtp.from = env.LIFEBOAT_NOTIFY_FROM;
    if (env.LIFEBOAT_NOTIFY_TO) smtp.to = env.LIFEBOAT_NOTIFY_TO;
    merged.smtp = smtp;
  }
  if (env.LIFEBOAT_NOTIFY_ON_SUCCESS !== undefined) {
    const value = env.LIFEBOAT_NOTIFY_ON_SUCCESS.trim().toLowerCase();
    if (!['true', 'false', '1', '0', 'yes', 'no'].includes(value)) throw new UsageError('LIFEBOAT_NOTIFY_ON_SUCCESS must be true or false');
    merged.onSuccess = ['true', '1', 'yes'].includes(value);
  }
  if (Object.keys(merged).length === 0) return {};
  const notify = parseNotifyConfig(merged);
  rememberNotifySecrets(notify);
  return { notify };
}
