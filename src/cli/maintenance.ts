import type { Command } from 'commander';
import { UsageError } from '../shared/errors.js';
import { maintenanceStatus, parseAllowList } from '../core/maintenance/maintenance.js';
import { maintenanceOnByRoot, maintenanceRootsOf, setMaintenanceOnAll } from '../core/maintenance/roots.js';
import { settings, stdio } from './context.js';

export function registerMaintenance(program: Command): void {
  program
    .command('maintenance')
    .description("turn the shop's maintenance mode on or off, or show it (Magento's var/.maintenance.flag and .maintenance.ip)")
    .argument('<action>', 'on, off or status')
    .option('--allow <addresses>', 'comma-separated addresses and ranges that still reach the shop (written to var/.maintenance.ip); "" clears the list')
    .option('--json', 'print the status as JSON')
    .action(async (action: string, flags: { allow?: string; json?: boolean }) => {
      if (!['on', 'off', 'status'].includes(action)) throw new UsageError(`maintenance takes on, off or status, not "${action}"`);
      const config = settings();
      const { root } = config;
      // With several app servers (LIFEBOAT_MAINTENANCE_ROOTS) every root changes, or none.
      const roots = maintenanceRootsOf(config);
      const allow = flags.allow === undefined ? undefined : parseAllowList(flags.allow);
      if (action !== 'status') await setMaintenanceOnAll(roots, action === 'on', allow);
      else if (allow !== undefined) await setMaintenanceOnAll(roots, (await maintenanceStatus(root)).on, allow);
      const status = await maintenanceStatus(root);
      const byRoot = roots.length > 1 ? await maintenanceOnByRoot(roots) : undefined;
      if (flags.json) {
        stdio.out(JSON.stringify({ ...status, ...(byRoot ? { roots: byRoot } : {}) }));
        return;
      }
      const who = status.owner ? ` (set by Lifeboat job ${status.owner.jobId}, pid ${status.owner.pid} on ${status.owner.host}, since ${status.owner.since})` : '';
      stdio.out(`maintenance mode is ${status.on ? 'ON' : 'off'}${who}`);
      if (status.allow.length) stdio.out(`allowed addresses: ${status.allow.join(', ')}`);
      for (const entry of byRoot ?? []) stdio.out(`  ${entry.root}: ${entry.on ? 'ON' : 'off'}`);
    });
}
