// Errors that carry their exit code, so every entry point reports them the same way:
// one line saying what was wrong and what to do.

/** Bad usage or configuration: exit code 2. */
export class UsageError extends Error {
  readonly exitCode = 2;
}

/** The operation ran and failed (damaged archive, database error, ...): exit code 1. */
export class OperationError extends Error {
  readonly exitCode = 1;
}

/** Something went wrong that the user can fix by following the message. */
export function errorExitCode(error: unknown): number {
  if (error instanceof UsageError) return 2;
  return 1;
}
