// The Settings view, for admins: the backup schedule with its retention rules (the same record as
// `lifeboat schedule set/show`), the notification targets, and whether file backups are incremental. A target fixed by the environment or the
// config file is shown disabled with a note. Secrets come masked; sent back unchanged they are kept.
import { api, el } from './api.js';
import { clearFormErrors, showFormError } from './errors.js';

const $ = (id) => document.getElementById(id);
// Which field an error of the API concerns, by its words (after errors.js put them in the form's words).
const SCHEDULE_FIELDS = [
  [/time zone/i, 'schedule-timezone'],
  [/start time/i, 'schedule-time'],
  [/day of the month/i, 'schedule-day'],
  [/day of the week/i, 'schedule-weekday'],
  [/keepLast/, 'keep-last'],
  [/keepDaily/, 'keep-daily'],
  [/keepWeekly/, 'keep-weekly'],
  [/keepMonthly/, 'keep-monthly'],
];
const NOTIFY_FIELDS = [
  [/webhook/i, 'notify-webhook'],
  [/^E-mail via /, 'notify-smtp-url'],
  [/the To field|recipient/i, 'notify-to'],
  [/\bfrom\b/i, 'notify-from'],
  [/SMTP|e-?mail/i, 'notify-smtp-url'],
];
const KEEP = { keepLast: 'keep-last', keepDaily: 'keep-daily', keepWeekly: 'keep-weekly', keepMonthly: 'keep-monthly' };

export function createSettingsView() {
  let shown = null;

  function showFrequencyFields() {
    const frequency = $('schedule-frequency').value;
    $('schedule-weekday-row').hidden = frequency !== 'weekly';
    $('schedule-day-row').hidden = frequency !== 'monthly';
  }

  function fillTimeZones(current) {
    const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
    if ($('timezones').options.length === 0) $('timezones').append(...[...new Set(['UTC', current, ...zones])].map((zone) => el('option', { value: zone })));
  }

  function nextRunText(schedule) {
    if (!schedule) return 'No schedule yet: tick "Enable scheduled backups", choose when, and save.';
    if (!schedule.enabled) return 'Scheduled backups are switched off.';
    // With its weekday: "Monday, 7 December 2026 at 02:30" says at a glance which night it runs.
    const at = new Date(schedule.nextRun).toLocaleString(undefined, { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric', hour: '2-digit', minute: '2-digit' });
    // The schedule's own time is added only where the browser's clock reads differently.
    const here = Intl.DateTimeFormat().resolvedOptions().timeZone;
    return `Next run: ${at}${here === schedule.timezone ? '' : ` (${schedule.time.slice(0, 5)} ${schedule.timezone})`}.`;
  }

  function fillSchedule(schedule, machineTimeZone) {
    // Without a saved schedule the form suggests one, unticked: nothing runs until it is saved enabled.
    const s = schedule ?? { enabled: false, type: 'db', frequency: 'daily', time: '02:00:00', timezone: machineTimeZone, weekday: 1, dayOfMonth: 1, maintenance: false };
    $('schedule-enabled').checked = s.enabled;
    $('schedule-type').value = s.type;
    $('schedule-frequency').value = s.frequency;
    $('schedule-weekday').value = String(s.weekday);
    $('schedule-day').value = String(s.dayOfMonth);
    $('schedule-time').value = s.time.slice(0, 5);
    $('schedule-timezone').value = s.timezone;
    $('schedule-maintenance').checked = s.maintenance;
    $('schedule-drill').checked = s.drill === true;
    for (const [key, id] of Object.entries(KEEP)) $(id).value = s.retention?.[key] ?? '';
    $('schedule-next').textContent = nextRunText(schedule);
    fillTimeZones(s.timezone);
    showFrequencyFields();
  }

  function fillNotify(notify, fixed) {
    $('notify-webhook').value = notify.webhookUrl ?? '';
    $('notify-smtp-url').value = notify.smtp?.url ?? '';
    $('notify-from').value = notify.smtp?.from ?? '';
    $('notify-to').value = (notify.smtp?.to ?? []).join(', ');
    $('notify-success').checked = notify.onSuccess;
    $('notify-webhook').disabled = fixed.webhookUrl;
    $('notify-webhook-fixed').hidden = !fixed.webhookUrl;
    for (const id of ['notify-smtp-url', 'notify-from', 'notify-to']) $(id).disabled = fixed.smtp;
    $('notify-smtp-fixed').hidden = !fixed.smtp;
    $('notify-success').disabled = fixed.onSuccess;
    $('notify-success-fixed').hidden = !fixed.onSuccess;
  }

  function fillBackups(backups, fixed) {
    $('backups-incremental').checked = backups.incremental;
    $('backups-incremental').disabled = fixed.incremental;
    $('backups-incremental-fixed').hidden = !fixed.incremental;
  }

  function fill(view) {
    shown = view;
    fillSchedule(view.schedule, view.machineTimeZone);
    fillNotify(view.notify, view.fixed.notify);
    fillBackups(view.backups, view.fixed.backups);
  }

  async function load() {
    const forms = [$('schedule-form'), $('notify-form'), $('backups-form')];
    for (const form of forms) clearFormErrors(form);
    for (const id of ['schedule-status', 'notify-status', 'backups-status']) $(id).textContent = '';
    // Nothing can be typed until the saved values are in: filling them in would overwrite it.
    for (const form of forms) form.inert = true;
    try {
      fill(await api('GET', 'api/settings'));
    } finally {
      for (const form of forms) form.inert = false;
    }
  }

  function scheduleBody() {
    const retention = {};
    for (const [key, id] of Object.entries(KEEP)) if ($(id).value.trim() !== '') retention[key] = $(id).value.trim();
    return {
      enabled: $('schedule-enabled').checked,
      type: $('schedule-type').value,
      frequency: $('schedule-frequency').value,
      weekday: Number($('schedule-weekday').value),
      dayOfMonth: $('schedule-day').value.trim() || '1',
      time: $('schedule-time').value,
      timezone: $('schedule-timezone').value.trim(),
      maintenance: $('schedule-maintenance').checked,
      drill: $('schedule-drill').checked,
      retention: Object.keys(retention).length ? retention : null,
    };
  }

  /** Only the targets the page may change: a fixed one is left out of the request. */
  function notifyBody() {
    const fixed = shown.fixed.notify;
    const body = {};
    if (!fixed.webhookUrl) body.webhookUrl = $('notify-webhook').value.trim();
    if (!fixed.smtp) {
      const smtp = { url: $('notify-smtp-url').value.trim(), from: $('notify-from').value.trim(), to: $('notify-to').value.trim() };
      body.smtp = smtp.url || smtp.from || smtp.to ? smtp : null;
    }
    if (!fixed.onSuccess) body.onSuccess = $('notify-success').checked;
    return body;
  }

  async function save(part, body, form, fields, statusId, done) {
    clearFormErrors(form);
    $(statusId).textContent = '';
    try {
      fill(await api('PUT', 'api/settings', { [part]: body }));
      $(statusId).textContent = done;
    } catch (error) {
      showFormError(form, error, fields);
    }
  }

  $('schedule-frequency').addEventListener('change', showFrequencyFields);
  $('schedule-form').addEventListener('submit', (event) => {
    event.preventDefault();
    save('schedule', scheduleBody(), $('schedule-form'), SCHEDULE_FIELDS, 'schedule-status', 'Schedule saved.');
  });
  $('notify-form').addEventListener('submit', (event) => {
    event.preventDefault();
    save('notify', notifyBody(), $('notify-form'), NOTIFY_FIELDS, 'notify-status', 'Notifications saved.');
  });
  $('backups-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const incremental = $('backups-incremental').checked;
    save('backups', { incremental }, $('backups-form'), [], 'backups-status', incremental ? 'File backups are incremental from the next one.' : 'File backups are full archives from the next one.');
  });
  $('notify-test').addEventListener('click', async () => {
    clearFormErrors($('notify-form'));
    $('notify-status').textContent = 'Sending…';
    $('notify-test').disabled = true;
    try {
      const { results } = await api('POST', 'api/settings/notify-test');
      const failed = results.filter((r) => !r.ok);
      $('notify-status').textContent = failed.length ? '' : `Test sent to the saved targets: ${results.map((r) => (r.channel === 'email' ? 'e-mail' : r.channel)).join(' and ')} delivered.`;
      // One target failed: its reason goes beside its field; both: on the form's line.
      if (failed.length) showFormError($('notify-form'), failed.map((r) => r.error).join('. '), failed.length === 1 ? NOTIFY_FIELDS : []);
    } catch (error) {
      $('notify-status').textContent = '';
      showFormError($('notify-form'), error, NOTIFY_FIELDS);
    } finally {
      $('notify-test').disabled = false;
    }
  });

  return { load };
}
