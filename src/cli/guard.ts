// `lifeboat guard -- COMMAND...`: back up, run the command, and if it fails roll back (or say exactly
// how to). The seed's advice "make a backup before you install an extension", made a command.
import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { UsageError } from '../shared/errors.js';
import type { BackupType } from '../shared/types.js';
import { progressBar } from './progress.js';
import { settings, withInterrupts } from './context.js';
import { log } from '../shared/log.js';

interface GuardFlags {
  type: string;
  name?: string;
  maintenance?: boolean;
  rollbackOnFailure?: boolean;
}

const GUARD_TYPES: Record<string, BackupType> = { system: 'system', snapshot: 'system', nomedia: 'nomedia', db: 'db' };

/** Runs the command with the terminal attached; resolves to its exit code (128 + signal number if killed). */
function runCommand(argv: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: 'inherit' });
    child.on('error', (error) => reject(new UsageError(`cannot run "${argv[0]}": ${error.message}`)));
    child.on('close', (code, signal) => resolve(code ?? 128 + (signal === 'SIGKILL' ? 9 : signal === 'SIGTERM' ? 15 : 2)));
  });
}

function quoteArg(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function registerGuard(program: Command): void {
  program
    .command('guard')
    .description('take a backup, run COMMAND, and roll back (or print how to) when it fails; exits with the command\'s exit code')
    .option('--type <type>', 'system (default), nomedia or db', 'system')
    .option('--name <name>', 'name of the backup (default: guard)')
    .option('--maintenance', 'keep the shop in maintenance mode from the backup until the command (and any rollback) is done')
    .option('--rollback-on-failure', 'roll back automatically when the command fails')
    .argument('<command...>', 'the command to run, after --')
    .passThroughOptions()
    .action(async (argv: string[], flags: GuardFlags) => {
      const type = GUARD_TYPES[flags.type];
      if (!type) throw new UsageError(`--type must be system, nomedia or db, not "${flags.type}"`);
      const config = settings();
      const [{ enterMaintenanceOnAll, maintenanceRootsOf }, { newJobId }, { rollBack, takeBackup }] = await Promise.all([
        import('../core/maintenance/roots.js'),
        import('../core/jobs/jobs.js'),
        import('../core/operations.js'),
      ]);
      const guardId = newJobId();
      const lease = flags.maintenance ? await enterMaintenanceOnAll(maintenanceRootsOf(config), guardId) : undefined;
      try {
        const bar = progressBar(true);
        const { record } = await withInterrupts((signal) =>
          takeBackup(config, { type, name: flags.name ?? 'guard', trigger: 'guard', signal, onProgress: bar.listener, onNotice: log.warn }),
        ).finally(() => bar.done());
        log.info(`lifeboat guard: backup ${record.id} (${record.file}) taken; running: ${argv.map(quoteArg).join(' ')}`);
        const code = await runCommand(argv);
        if (code === 0) {
          log.info(`lifeboat guard: the command succeeded; backup ${record.id} is kept`);
          return;
        }
        if (flags.rollbackOnFailure) {
          log.warn(`lifeboat guard: the command failed (exit ${code}); rolling back to ${record.file}`);
          const rollbackBar = progressBar(true);
          await withInterrupts((signal) => rollBack(config, record, { trigger: 'guard', signal, onProgress: rollbackBar.listener, onNotice: log.warn })).finally(() =>
            rollbackBar.done(),
          );
          log.info(`lifeboat guard: rolled back to ${record.file}`);
        } else {
          log.warn(`lifeboat guard: the command failed (exit ${code}); to undo its changes run:\n  lifeboat rollback ${record.id} --yes`);
        }
        process.exitCode = code;
      } finally {
        await lease?.release();
      }
    });
}
