// How a replay into staging stops (staging-replay.ts): a statement of the dump that cannot be loaded
// (named by its byte offset, with the server's error), or the caller's abort.

/** A statement of the dump failed: names the statement's byte offset and the server's error. */
export class StatementError extends Error {
  constructor(
    readonly offset: number,
    readonly serverMessage: string,
    readonly errno: number | undefined,
    preview: string,
  ) {
    super(`statement at byte offset ${offset} failed: ${serverMessage}${errno ? ` (error ${errno})` : ''}; statement: ${preview}`);
  }
}

export function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  const error = new Error('restore aborted');
  error.name = 'AbortError';
  return error;
}
