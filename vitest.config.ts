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
    // Temporary folders of the whole run live in one folder, removed at its end (temp-root.ts).
    globalSetup: ['test/helpers/build.ts', 'test/helpers/temp-root.ts'],
    reporters: ['default', './test/helpers/summary-reporter.ts'],
  },
});
