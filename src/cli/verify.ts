import type { Command } from 'commander';
import { findAnyBackup } from '../core/offsite-catalog.js';
import { loadOffsiteSecret, openOffsiteStore, withLocalCopy } from '../core/offsite-copy.js';
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
      const store = openOffsiteStore(config.storage);
      const record = await findAnyBackup(config.backupDir, store, id, { onStoreUnreachable: (line) => stdio.err(`warning: ${line}`) }).catch((error: unknown) => {
        store?.close();
        throw error;
      });
      const secret = store ? await loadOffsiteSecret(config.encryptionKeyFile) : undefined;
      const bar = progressBar(!flags.json);
      // A backup that is only off-site is fetched into the backup folder first, and removed afterwards.
      const report = await withInterrupts((signal) =>
        withLocalCopy(
          store,
          config.backupDir,
          record,
          (archiveDir, whole) =>
            verifyBackup(archiveDir, whole, {
              signal,
              onBytes: (bytes, total) => bar.listener?.({ phase: 'verify', rows: 0, bytes, totalBytes: total }),
            }),
          { signal, onProgress: bar.listener, secret },
        ),
      ).finally(() => {
        bar.done();
        store?.close();
      });
      if (flags.json) stdio.out(JSON.stringify(report));
      else if (report.ok) {
        const note = record.origin === 'foreign' ? ' (no manifest: checksum not known, only the archive itself was checked)' : '';
        stdio.out(`${record.file}: OK (${report.checked.join(', ')})${note}`);
      } else stdio.err(`${record.file}: DAMAGED: ${report.problems.join('; ')}`);
      if (!report.ok) process.exitCode = 1;
    });
}
