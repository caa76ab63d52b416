// `lifeboat role add|list|remove`: roles and their resources (backup, rollback, admin).
import type { Command } from 'commander';
import type { AccountStore } from '../state/accounts.js';
import { noStateHere, settings, stateExists, stdio, withAccounts as withAccountsOf } from './context.js';
import { renderTable } from './format.js';

function withAccounts<T>(use: (accounts: AccountStore) => Promise<T>): Promise<T> {
  return withAccountsOf(settings(), use);
}

export function registerRole(program: Command): void {
  const role = program.command('role').description("the web admin's roles");
  role
    .command('add')
    .description('add or change a role; a role with rollback must also have backup')
    .argument('<name>', 'role name')
    .requiredOption('--resources <list>', 'comma-separated: backup, rollback, admin')
    .action(async (name: string, flags: { resources: string }) => {
      const resources = flags.resources.split(',').map((r) => r.trim()).filter(Boolean);
      const saved = await withAccounts((accounts) => accounts.saveRole(name, resources));
      stdio.out(`role ${saved.name}: ${saved.resources.join(', ')}`);
    });
  role
    .command('list')
    .description('list the roles')
    .option('--json', 'print JSON')
    .action(async (flags: { json?: boolean }) => {
      const config = settings();
      if (!stateExists(config)) {
        stdio.out(flags.json ? '[]' : `no roles: ${noStateHere(config)}`);
        return;
      }
      const roles = await withAccountsOf(config, (accounts) => accounts.listRoles());
      if (flags.json) stdio.out(JSON.stringify(roles));
      else stdio.out(renderTable(['ROLE', 'RESOURCES'], roles.map((r) => [r.name, r.resources.join(',')])));
    });
  role
    .command('remove')
    .description('remove a role that no user has')
    .argument('<name>', 'role name')
    .action(async (name: string) => {
      await withAccounts((accounts) => accounts.removeRole(name));
      stdio.out(`removed role ${name}`);
    });
}
