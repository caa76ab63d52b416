import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Integration tests share one MariaDB server; each uses its own uniquely named schemas, so test
    // files may run in parallel.
    pool: 'forks',
    // CLI tests run the compiled command (dist/), built once before the run.
    globalSetup: ['test/helpers/build.ts'],
    reporters: ['default', './test/helpers/summary-reporter.ts'],
  },
});
