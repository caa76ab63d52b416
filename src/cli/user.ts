// `lifeboat user add|list|remove|passwd`: the web admin's users, from the shop's console.
import type { Command } from 'commander';
import type { AccountStore } from '../state/accounts.js';
import { UsageError } from '../shared/errors.js';
import { noStateHere, settings, stateExists, stdio, withAccounts as withAccountsOf } from './context.js';
import { renderTable } from './format.js';

/** The first line of stdin (a password piped in, never on the command line). */
export async function readPasswordFromStdin(): Promise<string> {
  if (process.stdin.isTTY) throw new UsageError('--password-stdin reads the password from a pipe, e.g. printf %s "$PASSWORD" | lifeboat user add ...');
  let text = '';
  for await (const chunk of process.stdin) text += (chunk as Buffer).toString('utf8');
  const password = text.split(/\r?\n/)[0];
  if (!password) throw new UsageError('no password on stdin');
  return password;
}

function withAccounts<T>(use: (accounts: AccountStore) => Promise<T>): Promise<T> {
  return withAccountsOf(settings(), use);
}

function requireStdinFlag(flags: { passwordStdin?: boolean }): void {
  if (!flags.passwordStdin) throw new UsageError('give the password on stdin with --password-stdin (never as an argument: it would show in ps and the shell history)');
}

export function registerUser(program: Command): void {
  const user = program.command('user').description("the web admin's users");
  user
    .command('add')
    .description('add a user')
    .argument('<name>', 'user name')
    .option('--role <role>', 'operator (backup), restorer (backup, rollback), admin, or one made with "lifeboat role add" (default: the least privilege, operator)')
    .option('--password-stdin', 'read the password from stdin')
    .action(async (name: string, flags: { role?: string; passwordStdin?: boolean }) => {
      requireStdinFlag(flags);
      const password = await readPasswordFromStdin();
      const added = await withAccounts(async (accounts) => accounts.addUser(name, flags.role ?? (await accounts.defaultRole()), password));
      stdio.out(`added user ${added.username} (role ${added.role}: ${added.resources.join(', ')})`);
    });
  user
    .command('list')
    .description('list the users')
    .option('--json', 'print JSON')
    .action(async (flags: { json?: boolean }) => {
      const config = settings();
      // The lost-password hint: run where there is no state, it says where it looked rather than "no users".
      if (!stateExists(config)) {
        stdio.out(flags.json ? '[]' : `no users: ${noStateHere(config)}`);
        return;
      }
      const users = await withAccountsOf(config, (accounts) => accounts.listUsers());
      if (flags.json) stdio.out(JSON.stringify(users));
      else if (users.length === 0) stdio.out('no users; add one with: lifeboat user add NAME --role admin --password-stdin');
      else stdio.out(renderTable(['USER', 'ROLE', 'RESOURCES', 'CREATED'], users.map((u) => [u.username, u.role, u.resources.join(','), u.createdAt])));
    });
  user
    .command('remove')
    .description('remove a user')
    .argument('<name>', 'user name')
    .action(async (name: string) => {
      await withAccounts((accounts) => accounts.removeUser(name));
      stdio.out(`removed user ${name}`);
    });
  user
    .command('passwd')
    .description("set a user's password (signs the user out everywhere)")
    .argument('<name>', 'user name')
    .option('--password-stdin', 'read the password from stdin')
    .action(async (name: string, flags: { passwordStdin?: boolean }) => {
      requireStdinFlag(flags);
      const password = await readPasswordFromStdin();
      await withAccounts((accounts) => accounts.setPassword(name, password));
      stdio.out(`password of ${name} changed`);
    });
}
