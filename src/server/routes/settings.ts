// /api/settings: the backup schedule (with its retention rules), the notification targets and whether
// file backups are incremental by default, for admins. The schedule is the record `lifeboat schedule set/show` uses, so the page and the CLI always
// agree; notification targets are stored settings that LIFEBOAT_NOTIFY_* and the config file override.
// POST /api/settings/notify-test sends a test message to every target in force.
import type { FastifyInstance } from 'fastify';
import { StateStore } from '../../state/state.js';
import { notify } from '../../core/notify/notify.js';
import { effectiveNotify, fixedNotifyFields, loadStoredNotify, saveStoredNotify } from '../../core/notify/settings.js';
import { shopName } from '../../core/operations.js';
import { machineTimeZone, type Schedule } from '../../core/schedule/schedule.js';
import { loadSchedule, SCHEDULE_KEY, type SavedSchedule } from '../../core/schedule/scheduled.js';
import { HttpError } from '../auth.js';
import { effectiveIncremental, incrementalFixed, saveIncremental } from '../../core/backup/incremental-setting.js';
import type { ServerContext } from '../context.js';
import { nextNotify, nextSchedule, notifyView, scheduleView, splitSettingsBody } from '../settings-input.js';

export function registerSettingsRoutes(app: FastifyInstance, context: ServerContext): void {
  const { settings } = context;

  const view = async (store: StateStore) => {
    const saved = await loadSchedule(store);
    const { savedAt: _savedAt, ...schedule } = saved ?? { savedAt: '' };
    return {
      // Without savedAt, as `lifeboat schedule show --json` prints it.
      schedule: saved ? scheduleView(schedule as Schedule) : null,
      notify: notifyView(await effectiveNotify(settings, store)),
      backups: { incremental: await effectiveIncremental(settings, store) },
      fixed: { notify: fixedNotifyFields(settings), backups: { incremental: incrementalFixed(settings) } },
      machineTimeZone: machineTimeZone(),
    };
  };

  app.get('/api/settings', async (request) => {
    await context.auth(request, 'admin');
    return StateStore.with(settings, view);
  });

  app.put('/api/settings', async (request) => {
    const session = await context.auth(request, 'admin');
    const body = splitSettingsBody(request.body);
    return StateStore.with(settings, async (store) => {
      const changed: string[] = [];
      // Validate both parts before saving either, so a bad value changes nothing.
      const schedule = body.schedule ? nextSchedule(body.schedule, await loadSchedule(store)) : undefined;
      const fixed = fixedNotifyFields(settings);
      const targets = body.notify ? nextNotify(body.notify, await loadStoredNotify(store, settings), fixed, notifyView(await effectiveNotify(settings, store))) : undefined;
      if (targets) {
        await saveStoredNotify(store, settings, targets);
        changed.push(`notify ${Object.keys(body.notify ?? {}).join(',')}`);
      }
      if (body.backups) {
        await saveIncremental(settings, store, body.backups.incremental);
        changed.push(`backups incremental ${body.backups.incremental ? 'on' : 'off'}`);
      }
      if (schedule) {
        await store.setSetting(SCHEDULE_KEY, { ...schedule, savedAt: new Date().toISOString() } satisfies SavedSchedule);
        changed.push(`schedule ${schedule.enabled ? 'enabled' : 'disabled'} ${schedule.type} ${schedule.frequency} ${schedule.time} ${schedule.timezone}`);
      }
      await context.audit(request, session, 'settings change', true, undefined, changed.join('; ') || 'nothing');
      return view(store);
    });
  });

  app.post('/api/settings/notify-test', async (request) => {
    const session = await context.auth(request, 'admin');
    const config = await StateStore.with(settings, (store) => effectiveNotify(settings, store));
    if (!config) throw new HttpError(400, 'no notification target: set a webhook URL or an SMTP server first, then save');
    const now = new Date().toISOString();
    // A success event, sent whatever onSuccess says: the point is to see that the targets work.
    const results = await notify(
      { ...config, onSuccess: true },
      { shop: shopName(settings), jobId: 'test', kind: 'backup', type: 'test', state: 'succeeded', hint: 'This is a test sent from the Settings page of Lifeboat; no backup was taken.', startedAt: now, finishedAt: now },
      { webhookRetryDelaysMs: [] },
    );
    const failed = results.filter((r) => !r.ok);
    await context.audit(request, session, 'notify test', failed.length === 0, undefined, results.map((r) => `${r.channel} ${r.ok ? 'ok' : r.error}`).join('; '));
    return { results };
  });
}
