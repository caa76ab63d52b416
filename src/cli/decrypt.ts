// `lifeboat decrypt FILE > out`: turns an encrypted archive (as stored off-site) back into the plain
// .sql.gz/.tgz, with the key of LIFEBOAT_ENCRYPTION_KEY_FILE. A wrong key or a changed file stops it
// with one line and exit 1; what was written to stdout before that must then be thrown away.
import type { Command } from 'commander';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { OperationError, UsageError } from '../shared/errors.js';
import { settings } from './context.js';

export function registerDecrypt(program: Command): void {
  program
    .command('decrypt')
    .description('write the plain archive of an encrypted one (e.g. downloaded from the bucket) to stdout')
    .argument('<file>', 'the encrypted archive')
    .action(async (file: string) => {
      const [{ DecryptionError }, { readChain }, { loadOffsiteSecret }] = await Promise.all([
        import('../archive/encrypt.js'),
        import('../archive/filter-chain.js'),
        import('../repository/offsite-copy.js'),
      ]);
      const secret = await loadOffsiteSecret(settings().encryptionKeyFile);
      if (!secret) throw new UsageError('LIFEBOAT_ENCRYPTION_KEY_FILE is not set: point it at the key file the archive was encrypted with');
      if (process.stdout.isTTY) throw new UsageError('the output is binary: redirect it, e.g. lifeboat decrypt FILE > FILE.plain');
      try {
        await pipeline(readChain(createReadStream(file), { decrypt: secret }), process.stdout);
      } catch (error) {
        if (error instanceof DecryptionError) throw new OperationError(`${file}: ${error.message}; discard the output`);
        throw error;
      }
    });
}
