import { defineConfig } from 'vitest/config';

// Browser journeys: real Chromium (playwright-core) against the production build served by
// `scripts/start.ts` in a child process, each file with its own database and data directory.
export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    include: ['tests/e2e/**/*.e2e.test.ts'],
    globalSetup: ['tests/setup/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
