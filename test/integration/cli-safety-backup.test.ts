// `lifeboat rollback --safety-backup` through the real command on MariaDB, as the shop's own user: the shop
// as it was is backed up first (named "before rollback"), and rolling back to that backup undoes the
// rollback.
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { cliShop } from '../helpers/cli-shop.js';
import { queryRows, withConnection } from '../helpers/mysql.js';

describe('rollback --safety-backup', () => {
  it('first backs up what it replaces, so that the rollback can be undone', async () => {
    const setup = await cliShop('safety', 'CREATE TABLE product (id INT PRIMARY KEY, sku VARCHAR(20)); INSERT INTO product VALUES (1, "old");');
    try {
      const backup = JSON.parse((await runCli(['backup', 'db', '--json'], setup.env)).stdout) as { id: string };
      await withConnection(setup.shop, (conn) => conn.query("UPDATE product SET sku = 'changed since'"));
      const rolled = await runCli(['rollback', backup.id, '--yes', '--safety-backup'], setup.env);
      expect(rolled.code, rolled.stderr).toBe(0);
      const undo = /to undo this rollback: lifeboat rollback ([0-9a-f]{8}) --yes/.exec(rolled.stdout)?.[1];
      expect(undo).toBeDefined();
      expect((await queryRows<{ sku: string }>(setup.shop, 'SELECT sku FROM product'))[0].sku).toBe('old');
      const listed = JSON.parse((await runCli(['list', '--json'], setup.env)).stdout) as { id: string; name: string }[];
      expect(listed.find((r) => r.id === undo)?.name).toBe('before_rollback');
      expect((await runCli(['rollback', undo!, '--yes'], setup.env)).code).toBe(0);
      expect((await queryRows<{ sku: string }>(setup.shop, 'SELECT sku FROM product'))[0].sku).toBe('changed since');
    } finally {
      await setup.drop();
    }
  });
});
