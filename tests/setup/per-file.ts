import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, inject } from 'vitest';
import { createDatabase, dropDatabase } from '../../scripts/lib/database.ts';

/**
 * Every test file gets its own database, cloned from the migrated template, and
 * its own DATA_DIR (for the email outbox). Set before any app module is
 * imported, since configuration is read on first import.
 */
const serverUrl = inject('databaseServerUrl');
const name = `makerfund_test_${process.env.VITEST_POOL_ID ?? '0'}_${process.pid}`;
await dropDatabase(serverUrl, name);
process.env.DATABASE_URL = await createDatabase(serverUrl, name, inject('templateDatabase'));
process.env.DATA_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'makerfund-test-'));
process.env.NODE_ENV = 'test';
process.env.LOG_LEVEL = 'silent';
process.env.DATABASE_POOL_MAX = '4';
process.env.WORKER_IN_PROCESS = 'false';

// A console.error during a test is a bug being swallowed: fail the test that caused it.
const consoleErrors: unknown[][] = [];
const originalError = console.error;
beforeAll(() => {
  console.error = (...args: unknown[]) => {
    consoleErrors.push(args);
    originalError(...args);
  };
});
afterEach(() => {
  if (consoleErrors.length > 0) {
    const first = consoleErrors.splice(0).map((args) => args.map(String).join(' '));
    throw new Error(`console.error was called during the test:\n${first.join('\n')}`);
  }
});
afterAll(async () => {
  console.error = originalError;
  const { pool } = await import('#app/core/db.server.ts').catch(() => ({ pool: null }));
  await pool?.end().catch(() => {});
  await dropDatabase(serverUrl, name);
  fs.rmSync(process.env.DATA_DIR as string, { recursive: true, force: true });
});
