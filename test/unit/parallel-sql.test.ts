// Where a rollback cuts an archive's tables into its two streams (parallel-sql.ts). That the two streams
// load exactly the dumped data is checked against the real server in mysql-restore-load.test.ts.
import { describe, expect, it } from 'vitest';
import { balancedCut } from '../../src/core/rollback/parallel-sql.js';

const MB = 1_000_000;
const table = (dataLength: number, rows = 0) => ({ dataLength, rows });

describe('the split of a rollback into two streams', () => {
  it('weighs rows beyond their bytes', () => {
    // By bytes the first two tables (30 MB) against the last (20 MB); but the first has many short rows
    // and weighs as much as the other two.
    expect(balancedCut([table(10 * MB, 200_000), table(20 * MB), table(20 * MB)])).toBe(1);
  });

  it('weighs every table, however small: many small tables are shared out', () => {
    // A big table, 30 empty ones, a bigger one: by bytes alone every cut among the small ones is as good
    // as the first; each small table costs its definition, so about two thirds go with the first table.
    const entries = [table(20 * MB), ...Array.from({ length: 30 }, () => table(0)), table(30 * MB)];
    const cut = balancedCut(entries);
    expect(cut).toBeGreaterThan(15);
    expect(cut).toBeLessThan(26);
  });
});
