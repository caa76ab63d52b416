// The schedule as `lifeboat schedule show` and `set` print it: in the words the page and `list` use
// ("System backup", "Monday"), never the stored codes ("system", weekday 1), and the next run with its
// weekday in the schedule's own time zone.
import type { Schedule } from '../core/schedule/schedule.js';
import type { RetentionPolicy } from '../core/schedule/retention.js';

/** Magento's names of the backups a schedule takes. */
const BACKUPS: Record<string, string> = { db: 'Database backup', media: 'Database and Media backup', system: 'System backup', nomedia: 'System backup without media' };
const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

/** "03:30", or "03:30:15" when the seconds matter. */
const clock = (time: string) => (time.endsWith(':00') ? time.slice(0, 5) : time);

/** "Monday 2026-12-07 03:30" in `timeZone`. */
export function zonedDateTime(at: Date, timeZone: string): string {
  const format = new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'long', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  const part = Object.fromEntries(format.formatToParts(at).map((p) => [p.type, p.value]));
  return `${part.weekday} ${part.year}-${part.month}-${part.day} ${part.hour}:${part.minute}`;
}

function keeps(retention: RetentionPolicy): string {
  const rules = [
    retention.keepLast !== undefined ? `the ${retention.keepLast} newest` : '',
    retention.keepDaily !== undefined ? `${retention.keepDaily} daily` : '',
    retention.keepWeekly !== undefined ? `${retention.keepWeekly} weekly` : '',
    retention.keepMonthly !== undefined ? `${retention.keepMonthly} monthly` : '',
  ];
  return rules.filter(Boolean).join(', ');
}

/** The lines that describe `schedule`; `nextRun` when it is enabled. */
export function describeSchedule(schedule: Schedule, nextRun?: Date): string[] {
  const when = schedule.frequency === 'weekly' ? ` on ${WEEKDAYS[schedule.weekday - 1]}` : schedule.frequency === 'monthly' ? ` on day ${schedule.dayOfMonth} of the month` : '';
  const what = `${BACKUPS[schedule.type] ?? `${schedule.type} backup`}, ${schedule.frequency}${when} at ${clock(schedule.time)} (${schedule.timezone})${schedule.maintenance ? ', in maintenance mode' : ''}${schedule.drill ? ', then drilled' : ''}`;
  const lines = [schedule.enabled ? `enabled: ${what}` : `DISABLED (lifeboat schedule set --enable runs it): ${what}`];
  if (schedule.retention) lines.push(`keeps after each run: ${keeps(schedule.retention)}`);
  if (nextRun) lines.push(`next run: ${zonedDateTime(nextRun, schedule.timezone)} (${schedule.timezone})`);
  return lines;
}
