import type { Command } from 'commander';
import { nextRun, parseScheduleInput, type Schedule, type ScheduleInput } from '../core/schedule/schedule.js';
import { parseRetentionPolicy } from '../core/schedule/retention.js';
import type { SavedSchedule } from '../core/schedule/scheduled.js';
import { openExistingState, openState, settings, stdio } from './context.js';
import { describeSchedule } from './schedule-words.js';

interface SetFlags {
  type?: string;
  frequency?: string;
  time?: string;
  timezone?: string;
  weekday?: string;
  dayOfMonth?: string;
  maintenance?: boolean;
  drill?: boolean;
  enable?: boolean;
  disable?: boolean;
  keepLast?: string;
  keepDaily?: string;
  keepWeekly?: string;
  keepMonthly?: string;
  noRetention?: boolean;
  json?: boolean;
}

export function scheduleJson(schedule: Schedule, now = new Date()): Record<string, unknown> {
  return { ...schedule, nextRun: schedule.enabled ? nextRun(schedule, now).toISOString() : null };
}

function show(schedule: Schedule | undefined, json: boolean | undefined): void {
  if (!schedule) {
    stdio.out(json ? 'null' : 'no schedule; set one with "lifeboat schedule set --type db --frequency daily --time 02:00"');
    return;
  }
  if (json) {
    stdio.out(JSON.stringify(scheduleJson(schedule)));
    return;
  }
  for (const line of describeSchedule(schedule, schedule.enabled ? nextRun(schedule, new Date()) : undefined)) stdio.out(line);
}

export function registerSchedule(program: Command): void {
  const schedule = program.command('schedule').description("scheduled backups (Magento's Backup Settings); run by 'lifeboat serve' or 'lifeboat cron'");
  schedule
    .command('set')
    .description('create or change the schedule (options not given keep their saved value)')
    .option('--type <type>', 'db, media, system or nomedia')
    .option('--frequency <frequency>', 'daily, weekly or monthly')
    .option('--time <HH:MM[:SS]>', 'start time, in the schedule time zone')
    .option('--timezone <zone>', "IANA time zone, e.g. Europe/Amsterdam (default: the machine's)")
    .option('--weekday <day>', 'weekly runs: 1-7 (1 = Monday, the default) or a day name')
    .option('--day-of-month <n>', 'monthly runs: 1-31 (default 1; a day a month lacks means its last day)')
    .option('--maintenance', 'put the shop in maintenance mode while the backup runs')
    .option('--no-maintenance', 'do not use maintenance mode')
    .option('--drill', 'after each scheduled backup, restore it into a scratch database (and a file backup\'s tree into a scratch folder) and check it (lifeboat drill)')
    .option('--no-drill', 'no drill after the scheduled backups')
    .option('--enable', 'enable the schedule')
    .option('--disable', 'disable the schedule')
    .option('--keep-last <n>', 'retention after each scheduled backup: keep the n newest')
    .option('--keep-daily <n>', 'retention: keep one per day for n days')
    .option('--keep-weekly <n>', 'retention: keep one per week for n weeks')
    .option('--keep-monthly <n>', 'retention: keep one per month for n months')
    .option('--no-retention', 'remove the saved retention policy')
    .option('--json', 'print the saved schedule as JSON')
    .action(async (flags: SetFlags) => {
      const store = await openState(settings());
      const { SCHEDULE_KEY } = await import('../core/schedule/scheduled.js');
      try {
        const previous = await store.getSetting<SavedSchedule>(SCHEDULE_KEY);
        const input: ScheduleInput = {};
        if (flags.type !== undefined) input.type = flags.type;
        if (flags.frequency !== undefined) input.frequency = flags.frequency;
        if (flags.time !== undefined) input.time = flags.time;
        if (flags.timezone !== undefined) input.timezone = flags.timezone;
        if (flags.weekday !== undefined) input.weekday = flags.weekday;
        if (flags.dayOfMonth !== undefined) input.dayOfMonth = flags.dayOfMonth;
        if (flags.maintenance !== undefined) input.maintenance = flags.maintenance;
        if (flags.drill !== undefined) input.drill = flags.drill;
        if (flags.enable) input.enabled = true;
        if (flags.disable) input.enabled = false;
        const keep = { keepLast: flags.keepLast, keepDaily: flags.keepDaily, keepWeekly: flags.keepWeekly, keepMonthly: flags.keepMonthly };
        if (Object.values(keep).some((v) => v !== undefined)) {
          input.retention = parseRetentionPolicy(Object.fromEntries(Object.entries(keep).filter(([, v]) => v !== undefined)));
        }
        // commander sets `retention: false` for --no-retention
        if ((flags as { retention?: boolean }).retention === false) input.retention = null;
        const next = parseScheduleInput(input, previous);
        await store.setSetting(SCHEDULE_KEY, { ...next, savedAt: new Date().toISOString() } satisfies SavedSchedule);
        show(next, flags.json);
      } finally {
        await store.close();
      }
    });
  schedule
    .command('show')
    .description('show the schedule and its next run')
    .option('--json', 'print JSON: enabled, type, frequency, time, timezone, weekday, dayOfMonth, maintenance, retention, nextRun')
    .action(async (flags: { json?: boolean }) => {
      const store = await openExistingState(settings());
      if (!store) return show(undefined, flags.json);
      const { loadSchedule } = await import('../core/schedule/scheduled.js');
      try {
        const saved = await loadSchedule(store);
        if (!saved) return show(undefined, flags.json);
        const { savedAt: _savedAt, ...schedule } = saved;
        show(schedule, flags.json);
      } finally {
        await store.close();
      }
    });
}
