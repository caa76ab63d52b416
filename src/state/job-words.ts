// The words of the job history: its kinds, states and triggers, and how a job that kept no user is shown.
// A module without imports: the command line's definitions (lifeboat jobs --kind ...) check flags with
// them without loading the state's database drivers.
export const JOB_KINDS = ['backup', 'rollback', 'verify', 'drill', 'restore'] as const;
export type JobKind = (typeof JOB_KINDS)[number];
export const JOB_STATES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type JobState = (typeof JOB_STATES)[number];
/** What starts jobs: the web admin (api), a command, the schedule, `lifeboat guard`, and `lifeboat demo`'s first backup. */
export const JOB_TRIGGERS = ['api', 'cli', 'schedule', 'guard', 'demo'] as const;

/** How the history shows, and is narrowed to, the jobs of earlier versions, which kept no user (never a username: those start with a letter or digit). */
export const NO_USER = '-';
