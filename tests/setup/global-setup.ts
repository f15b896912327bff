import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { createDatabase, dropDatabase, ensureDatabase, type DatabaseHandle } from '../../scripts/lib/database.ts';
import { migrateToLatest } from '../../scripts/lib/migrate.ts';
import { repoRoot } from '../../scripts/lib/cli.ts';

// One template per run, so that two runs on one server (two terminals, parallel CI jobs) never collide.
export const TEMPLATE_DATABASE = `makerfund_test_template_${process.pid}`;

declare module 'vitest' {
  export interface ProvidedContext {
    databaseServerUrl: string;
    templateDatabase: string;
  }
}

let database: DatabaseHandle | undefined;

/**
 * Once per run: a PostgreSQL server (DATABASE_URL, or an embedded one under
 * .data/test-postgres) and a freshly migrated template database that every
 * test file clones (`create database … template …` takes a fraction of a second).
 */
export async function setup(project: TestProject) {
  if (!process.env.DATABASE_URL) process.env.EMBEDDED_POSTGRES_PORT ??= '54339';
  database = await ensureDatabase({ dataDir: path.join(repoRoot, '.data/test') });
  await dropDatabase(database.url, TEMPLATE_DATABASE);
  const templateUrl = await createDatabase(database.url, TEMPLATE_DATABASE);
  await migrateToLatest(templateUrl);
  project.provide('databaseServerUrl', database.url);
  project.provide('templateDatabase', TEMPLATE_DATABASE);
}

export async function teardown() {
  if (database) await dropDatabase(database.url, TEMPLATE_DATABASE);
  await database?.stop();
}
