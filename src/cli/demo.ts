// `lifeboat demo` (what `npm start` runs, with --serve): creates the built-in demo shop, shows the CLI's
// help, and takes a first backup of it, so a newcomer sees Lifeboat work at once; with --serve it then
// creates a demo admin (a random password, printed once) and serves the web admin on it.
import type { Command } from 'commander';
import { randomBytes } from 'node:crypto';
import { DEFAULT_PORT, parsePort, serveShop } from './serve.js';
import path from 'node:path';
import { loadSettings } from '../config/settings.js';
import { humanBytes, localTime, renderTable } from './format.js';
import { stdio, withAccounts } from './context.js';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('create the built-in demo shop (an SQLite database and a file tree) and back it up')
    .option('--dir <path>', 'where the demo shop lives', 'demo')
    .option('--serve', 'then serve the web admin on the demo shop (as lifeboat serve)')
    .option('--port <n>', 'with --serve: port to listen on', String(DEFAULT_PORT))
    .action(async (flags: { dir: string; serve?: boolean; port: string }) => {
      const [{ ensureDemoShop }, { takeBackup }, { Repository }] = await Promise.all([
        import('../demo/shop.js'),
        import('../core/operations.js'),
        import('../repository/repository.js'),
      ]);
      const shop = await ensureDemoShop(path.resolve(flags.dir));
      stdio.out(program.helpInformation());
      const env = { LIFEBOAT_ROOT: shop.root, LIFEBOAT_DATABASE_URL: shop.databaseUrl };
      const config = loadSettings({ ...env }, shop.root);
      stdio.out(`Demo shop in ${shop.root} (database ${shop.databaseFile}).`);
      const { record } = await takeBackup(config, { type: 'db', name: 'demo', trigger: 'demo' });
      stdio.out(`Took backup ${record.id}: ${path.join(config.backupDir, record.file)} (${humanBytes(record.size)})\n`);
      const records = await Repository.open({ backupDir: config.backupDir }).listFolder();
      stdio.out(renderTable(['ID', 'TIME', 'NAME', 'SIZE', 'FILE'], records.map((r) => [r.id, localTime(r.time), r.name || '-', humanBytes(r.size), r.file])));
      stdio.out(`
Try it yourself on the demo shop:
  export LIFEBOAT_ROOT=${shop.root} LIFEBOAT_DATABASE_URL=${shop.databaseUrl}
  node bin/lifeboat.js backup db --name "before upgrade"
  node bin/lifeboat.js backup system
  node bin/lifeboat.js list
  node bin/lifeboat.js verify ${record.id}
  node bin/lifeboat.js rollback ${record.id} --yes`);
      if (!flags.serve) return;
      await withAccounts(config, async (accounts) => {
        if ((await accounts.countUsers()) === 0) {
          const password = randomBytes(9).toString('base64url');
          await accounts.addUser('demo', 'admin', password);
          stdio.out(`\nWeb admin: sign in as "demo" with the password ${password} (shown once; change it with lifeboat user passwd demo --password-stdin)`);
        } else {
          stdio.out('\nWeb admin: sign in with a user of the demo shop (lifeboat user list)');
        }
      });
      await serveShop(config, { port: parsePort(flags.port), host: '127.0.0.1', scheduler: true });
    });
}
