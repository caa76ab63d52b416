// Who started a job, as the job history keeps it: the page's signed-in user (the server passes it), the
// schedule, or the operating-system user who ran the command (`cli:www-data`): on a shop where several
// people share the machine, the OS account is what tells their `lifeboat backup` runs apart.
import os from 'node:os';

/** `cli:<OS user>`, or `cli:uid <n>` when the account has no name (a container's numeric user). */
export function commandLineUser(): string {
  try {
    return `cli:${os.userInfo().username}`;
  } catch {
    return `cli:uid ${process.getuid?.() ?? 'unknown'}`;
  }
}

/** The user a job records: the one given (the page's), `schedule` for scheduled runs, else this process's OS user. */
export function startedBy(trigger: string, user?: string): string {
  if (user) return user;
  return trigger === 'schedule' ? 'schedule' : commandLineUser();
}
