import type { Command } from 'commander';
import { loadSettings } from '../config/settings.js';
import type { ConfigReport } from '../config/report.js';
import { renderTable } from './format.js';
import { stdio } from './context.js';

export function registerConfig(program: Command): void {
  program
    .command('config')
    .description('show the effective settings and where each comes from (environment, config file, the shop\'s own file, default), passwords masked')
    .option('--json', 'print them as a JSON object')
    .action(async (flags: { json?: boolean }) => {
      // Read only: unlike other commands, nothing in the home is created or tightened.
      const { configReport } = await import('../config/report.js');
      const report = await configReport(loadSettings(process.env, process.cwd()));
      stdio.out(flags.json ? JSON.stringify(report, null, 2) : renderReport(report));
    });
}

function renderReport(report: ConfigReport): string {
  const shop = report.shop;
  const head = [
    ['shop', shop ? `${shop.label} (${shop.file})` : 'none recognised in the root (Magento, Shopware, WordPress/WooCommerce)'],
    ...(shop ? [['table prefix', shop.tablePrefix === null ? '-' : shop.tablePrefix === '' ? 'none' : shop.tablePrefix]] : []),
    ['config file', report.configFile ?? 'none'],
  ];
  const width = Math.max(...head.map(([label]) => label.length));
  const rows = Object.entries(report.settings).map(([name, setting]) => [name, setting.value ?? '-', setting.source === 'default' ? `default: ${setting.from}` : setting.from]);
  const lines = [...head.map(([label, value]) => `${label.padEnd(width)}  ${value}`), '', renderTable(['SETTING', 'VALUE', 'FROM'], rows)];
  if (report.notes.length) lines.push('', 'notes:', ...report.notes.map((note) => `  - ${note}`));
  return lines.join('\n');
}
