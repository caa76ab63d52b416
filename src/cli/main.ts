// The `lifeboat` command line. Each command parses its flags and calls one core function; errors end
// as one line on stderr and an exit code: 0 ok, 1 failed, 2 bad usage or configuration.
import { Command, CommanderError } from 'commander';
import { UsageError } from '../shared/errors.js';
import { configureLog, log, logFormat, logProcessWarnings } from '../shared/log.js';
import { TOOL_VERSION } from '../shared/version.js';
import { registerBackup } from './backup.js';
import { registerConfig } from './config.js';
import { registerCron } from './cron.js';
import { registerDelete } from './delete.js';
import { registerDecrypt } from './decrypt.js';
import { registerGuard } from './guard.js';
import { registerDemo } from './demo.js';
import { registerJobs } from './jobs.js';
import { registerList } from './list.js';
import { registerMaintenance } from './maintenance.js';
import { registerPrune } from './prune.js';
import { registerRecover } from './recover.js';
import { registerSchedule } from './schedule.js';
import { registerServe } from './serve.js';
import { registerRole } from './role.js';
import { registerRollback } from './rollback.js';
import { registerRestore } from './restore.js';
import { registerUser } from './user.js';
import { registerUpload } from './upload.js';
import { registerVerify } from './verify.js';
import { registerDrill } from './drill.js';

export function buildProgram(): Command {
  const program = new Command('lifeboat')
    .description('Backups and atomic rollback for web shops (MySQL/MariaDB, SQLite)')
    .version(TOOL_VERSION)
    .showHelpAfterError('(run "lifeboat --help" for usage)')
    // `lifeboat guard -- COMMAND --flags`: options after the command belong to it.
    .enablePositionalOptions()
    // Usage errors (and the help shown for them) are log lines too: one record each in the json log.
    .configureOutput({ writeErr: (text) => (logFormat() === 'json' ? log.error(text.trimEnd()) : process.stderr.write(text)) })
    .addHelpText(
      'after',
      `
Settings (environment variables, or lifeboat.config.json / .yaml in the working folder):
  LIFEBOAT_DATABASE_URL  mysql://user:pass@host:3306/db, mariadb://..., sqlite:///path/shop.db
                         (default: the shop's own, from app/etc/env.php, a Shopware .env or wp-config.php)
  LIFEBOAT_ROOT          the shop's root folder (default: the working folder)
  LIFEBOAT_BACKUP_DIR    where archives live (default: <root>/var/backups)
  LIFEBOAT_HOME          Lifeboat's own state (default: <root>/var/lifeboat)
  LIFEBOAT_STATE_URL     that state in a MySQL/MariaDB schema of its own, shared by several servers
  LIFEBOAT_EXCLUDE       comma-separated globs to leave out of file backups (e.g. "pub/static/**,*.log")
  LIFEBOAT_CONFIG        a config file to read instead of the one in the working folder
  LIFEBOAT_LOG_FORMAT    human (default) or json: log lines on stderr as JSON objects with pino's fields

"lifeboat config" shows the effective settings and where each comes from.

Exit codes: 0 ok, 1 failed, 2 bad usage or configuration.`,
    );
  registerBackup(program);
  registerList(program);
  registerVerify(program);
  registerDrill(program);
  registerRollback(program);
  registerRestore(program);
  registerRecover(program);
  registerDelete(program);
  registerDecrypt(program);
  registerUpload(program);
  registerMaintenance(program);
  registerJobs(program);
  registerSchedule(program);
  registerCron(program);
  registerServe(program);
  registerGuard(program);
  registerPrune(program);
  registerUser(program);
  registerRole(program);
  registerDemo(program);
  registerConfig(program);
  // Commander would call process.exit itself; we want our exit codes and one-line errors.
  program.exitOverride();
  for (const command of program.commands) command.exitOverride();
  for (const command of program.commands.flatMap((c) => c.commands)) command.exitOverride();
  return program;
}

export async function main(argv: string[]): Promise<number> {
  // Output piped into a reader that stopped (`lifeboat list | head -1`): the rest of it goes nowhere,
  // and the command itself finishes (a backup is not cut short because its printout was not wanted).
  // The log too: a rollback whose log lines met a closed pipe died half-way, and the next command's
  // recovery undid it.
  for (const output of [process.stdout, process.stderr]) {
    output.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
    });
  }
  const program = buildProgram();
  try {
    configureLog(process.env);
    if (logFormat() === 'json') logProcessWarnings();
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are not errors; commander already printed the usage problem.
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return 0;
      if (error.code === 'commander.executeSubCommandAsync') return 1;
      return 2;
    }
    const message = error instanceof Error ? error.message : String(error);
    log.error(`lifeboat: ${message.split('\n')[0]}`);
    return error instanceof UsageError ? 2 : 1;
  }
}
