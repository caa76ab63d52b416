import type { Command } from 'commander';
import { findBackup } from '../core/catalog.js';
import { verifyBackup } from '../core/verify.js';
import { progressBar } from './progress.js';
import { settings, stdio, withInterrupts } from './context.js';

export function registerVerify(program: Command): void {
  program
    .command('verify')
    .description('re-read a backup and check its size, sha256 and gzip stream, and for .tgz the tar stream, safe paths and counts (exit 1 when damaged)')
    .argument('<id>', 'the backup id or archive file name')
    .option('--json', 'print the report as JSON')
    .action(async (id: string, flags: { json?: boolean }): Promise<void> => {
      const config = settings();
      const record = await findBackup(config.backupDir, id);
      const bar = progressBar(!flags.json);
      const report = await withInterrupts((signal) =>
        verifyBackup(config.backupDir, record, {
          signal,
          onBytes: (bytes, total) => bar.listener?.({ phase: 'verify', rows: 0, bytes, totalBytes: total }),
        }),
      ).finally(() => bar.done());
      if (flags.json) stdio.out(JSON.stringify(report));
      else if (report.ok) {
        const note = record.origin === 'foreign' ? ' (no manifest: checksum not known, only the archive itself was checked)' : '';
        stdio.out(`${record.file}: OK (${report.checked.join(', ')})${note}`);
      } else stdio.err(`${record.file}: DAMAGED: ${report.problems.join('; ')}`);
      if (!report.ok) process.exitCode = 1;
    });
}
