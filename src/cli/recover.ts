// `lifeboat recover`: settles a rollback that was interrupted (its process killed, the machine lost power)
// and removes what dead jobs left behind, then says what it did. Exit 0 also when there was nothing to do.
import type { Command } from 'commander';
import { settings, stdio } from './context.js';

export function registerRecover(program: Command): void {
  program
    .command('recover')
    .description('finish or undo an interrupted rollback and remove what dead jobs left (every job runs this first)')
    .option('--json', 'print what was done as a JSON array of lines')
    .action(async (flags: { json?: boolean }) => {
      const { recoverShop } = await import('../core/operations.js');
      const lines = await recoverShop(settings());
      if (flags.json) stdio.out(JSON.stringify(lines));
      else stdio.out(lines.length ? lines.join('\n') : 'nothing to recover: no interrupted rollback and nothing left behind by a dead job');
    });
}
