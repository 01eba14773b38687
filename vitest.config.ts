import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/globalSetup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Real child processes and loopback servers: keep parallelism modest on 2-core CI machines.
    pool: 'forks',
    maxWorkers: 2,
  },
});
