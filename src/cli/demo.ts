// `lifeboat demo` (what `npm start` runs, with --serve): creates the built-in demo shop and takes a first
// backup of it, so a newcomer sees Lifeboat work at once; with --serve it then creates a demo admin (a
// random password, printed once) and serves the web admin on it, printing only what signing in needs.
import type { Command } from 'commander';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { DEFAULT_PORT, parsePort, serveShop } from './serve.js';
import { requireFreePort } from './port.js';
import { loadSettings, type Settings } from '../config/settings.js';
import type { BackupRecord } from '../shared/types.js';
import { humanBytes, localTime, renderTable } from './format.js';
import { stdio, withAccounts } from './context.js';

const HOST = '127.0.0.1';

/** The shop's backups, after a first one is taken when there is none (each start adding one piled them up). */
async function demoBackups(config: Settings): Promise<BackupRecord[]> {
  const [{ takeBackup }, { Repository }] = await Promise.all([import('../core/operations.js'), import('../repository/repository.js')]);
  const list = () => Repository.open({ backupDir: config.backupDir }).listFolder();
  const found = await list();
  if (found.length > 0) return found;
  const { record } = await takeBackup(config, { type: 'db', name: 'demo', trigger: 'demo' });
  stdio.out(`Took backup ${record.id}: ${path.join(config.backupDir, record.file)} (${humanBytes(record.size)})`);
  return list();
}

/**
 * The demo admin's sign-in, as a line to print once the page's address is known: a new admin with a
 * random password when the shop has no users (made before serving, so no setup link is offered), else
 * where its users are found (in the demo's state, not the working folder's).
 */
async function prepareSignIn(config: Settings): Promise<(url: string) => string> {
  const lookUp = `LIFEBOAT_ROOT=${config.root} node bin/lifeboat.js`;
  return withAccounts(config, async (accounts) => {
    if ((await accounts.countUsers()) > 0) {
      return (url) => `Web admin: ${url}  (its users: ${lookUp} user list; a forgotten password: ${lookUp} user passwd NAME --password-stdin)`;
    }
    const password = randomBytes(9).toString('base64url');
    await accounts.addUser('demo', 'admin', password);
    return (url) => `Web admin: ${url}  user: demo  password: ${password}  (shown once; change it with ${lookUp} user passwd demo --password-stdin)`;
  });
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('create the built-in demo shop (an SQLite database and a file tree) and back it up once')
    .option('--dir <path>', 'where the demo shop lives', 'demo')
    .option('--serve', 'then serve the web admin on the demo shop (as lifeboat serve)')
    .option('--port <n>', 'with --serve: port to listen on', String(DEFAULT_PORT))
    .action(async (flags: { dir: string; serve?: boolean; port: string }) => {
      const port = parsePort(flags.port);
      // Before anything is made or backed up: a busy port is one line and nothing else.
      if (flags.serve) await requireFreePort(HOST, port);
      const { ensureDemoShop } = await import('../demo/shop.js');
      const shop = await ensureDemoShop(path.resolve(flags.dir));
      const config = loadSettings({ LIFEBOAT_ROOT: shop.root, LIFEBOAT_DATABASE_URL: shop.databaseUrl }, shop.root);
      stdio.out(`Demo shop in ${shop.root} (database ${shop.databaseFile}).`);
      const records = await demoBackups(config);
      if (flags.serve) {
        const signIn = await prepareSignIn(config);
        await serveShop(config, { port, host: HOST, scheduler: true, onListening: (url) => stdio.out(signIn(url)) });
        return;
      }
      stdio.out(renderTable(['ID', 'TIME', 'NAME', 'SIZE', 'FILE'], records.map((r) => [r.id, localTime(r.time), r.name || '-', humanBytes(r.size), r.file])));
      stdio.out(`
Try it yourself on the demo shop (lifeboat --help lists every command):
  export LIFEBOAT_ROOT=${shop.root} LIFEBOAT_DATABASE_URL=${shop.databaseUrl}
  node bin/lifeboat.js backup db --name "before upgrade"
  node bin/lifeboat.js backup system
  node bin/lifeboat.js list
  node bin/lifeboat.js verify ${records[0].id}
  node bin/lifeboat.js rollback ${records[0].id} --yes`);
    });
}
