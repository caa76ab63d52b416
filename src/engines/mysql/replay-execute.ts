// Runs one prepared statement of a replay (staging-replay.ts) on a staging session and reads what the
// server said: a failure names the statement's byte offset (and the cause, where the server cannot say
// it), rows the server took with changed values are reported, and an event is captured once created and
// disabled in staging.
import { preview, quoteId, type StatementInfo } from './restore-parse.js';
import { asServerError, exec, execBytes, loadRows, run, text, type Outcome, type RawConnection } from './restore-session.js';
import { showCreateEvent } from './restore-inventory.js';
import { refusalForStatement } from './restore-preflight.js';
import { abortReason, StatementError } from './replay-errors.js';
import type { Prepared, ReplayOptions, ReplayResult } from './staging-replay.js';

// Statements that write rows: the server's warnings about them mean changed values.
const DATA_KINDS = new Set(['insert', 'update']);

/** Runs the statements of all of a replay's streams, on whichever session a lane gives it. */
export class StatementRunner {
  constructor(
    private readonly options: Pick<ReplayOptions, 'shop' | 'current' | 'signal' | 'maxAllowedPacket' | 'exactValues'>,
    private readonly result: ReplayResult,
    private readonly warnOnce: (key: string, message: string) => void,
  ) {}

  async execute(conn: RawConnection, p: Prepared): Promise<void> {
    const { statement: st, info } = p;
    const { affected, warnings } = await this.send(conn, p);
    if (warnings > 0 && DATA_KINDS.has(info.kind)) await this.reportChangedValues(conn, p);
    if (p.load && affected !== p.load.count) {
      // LOAD DATA LOCAL skips rows it cannot take (duplicates) with a warning where the INSERT would fail.
      throw new StatementError(st.offset, `the server took ${affected} of its ${p.load.count} rows`, undefined, preview(st.text));
    }
    // Sent and taken: the rows' memory serves the next INSERT (not after a failure, when the driver may
    // still be reading them).
    p.load?.release();
    this.result.statements++;
    if (info.kind === 'insert') this.result.rows += affected;
    await this.followEvents(conn, info);
  }

  private async send(conn: RawConnection, p: Prepared): Promise<Outcome> {
    try {
      return p.load ? await loadRows(conn, p.load.sql, p.load.rows) : await execBytes(conn, p.text);
    } catch (error) {
      throw this.failure(error, p);
    }
  }

  /** What a statement the server did not take stops the replay with. */
  private failure(error: unknown, p: Prepared): Error {
    const { signal, shop, current, maxAllowedPacket: limit } = this.options;
    const st = p.statement;
    if (signal?.aborted) return abortReason(signal);
    const e = asServerError(error);
    // The binary log's rules refused a trigger or function: say what to do rather than which statement.
    const refused = refusalForStatement(e.errno, shop, current);
    if (refused) return refused;
    if (!p.load && limit !== undefined && p.text.length >= limit) {
      // The server drops the connection (often before it can say why): name the cause and the fix.
      const message = `the statement is ${p.text.length} bytes, more than the server's max_allowed_packet (${limit} bytes); raise it (SET GLOBAL max_allowed_packet = ${p.text.length + 1024}) and try again`;
      return new StatementError(st.offset, message, e.errno, preview(st.text));
    }
    return new StatementError(st.offset, e.message, e.errno, preview(st.text));
  }

  // Rows the server took with warnings (a value cut to its column, a date made zero: the dump's sessions
  // are not strict, as mysqldump's are not) are not the rows of the dump: say so, once per table. A value
  // that CONCAT would make longer than max_allowed_packet (a long value appended in pieces, loaded into a
  // server with a smaller packet) becomes NULL: that fails the restore.
  private async reportChangedValues(conn: RawConnection, p: Prepared): Promise<void> {
    const table = p.info.objects[0]?.name ?? '?';
    const warnings = (await run(conn, 'SHOW WARNINGS')).filter((w) => text(w, 'Level') !== 'Note');
    const describe = (w: Record<string, unknown>) => `${text(w, 'Level')} ${text(w, 'Code')}: ${text(w, 'Message')}`;
    const lost = warnings.find((w) => text(w, 'Code') === '1301');
    if (lost) {
      const message = `a value of table ${table} would be longer than the server's max_allowed_packet (${describe(lost)}); raise it (SET GLOBAL max_allowed_packet) and try again`;
      throw new StatementError(p.statement.offset, message, undefined, preview(p.statement.text));
    }
    // Lifeboat's own dumps give every value back as it was (ENUM's error value '' too, with a warning).
    if (this.options.exactValues || warnings.length === 0) return;
    this.warnOnce(`values ${table}`, `table ${table}: the server changed values while loading rows (byte offset ${p.statement.offset}): ${describe(warnings[0])}`);
  }

  /** Events are captured as created, then disabled so the event scheduler cannot run them against staging. */
  private async followEvents(conn: RawConnection, info: StatementInfo): Promise<void> {
    if (info.kind === 'create-event' && info.objects[0]) {
      const name = info.objects[0].name;
      const def = await showCreateEvent(conn, name);
      if (def) this.result.events.set(name, def);
      await exec(conn, `ALTER EVENT ${quoteId(name)} DISABLE`);
    } else if (info.kind === 'drop-event') {
      for (const ref of info.objects) this.result.events.delete(ref.name);
    }
  }
}
