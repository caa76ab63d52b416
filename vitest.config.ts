import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Integration tests share one MariaDB server; each uses its own schemas, so files may run in parallel.
    pool: 'forks',
  },
});
