import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { createDatabase, dropDatabase, ensureDatabase, type DatabaseHandle } from '../../scripts/lib/database.ts';
import { migrateToLatest } from '../../scripts/lib/migrate.ts';
import { repoRoot } from '../../scripts/lib/cli.ts';

export const TEMPLATE_DATABASE = 'makerfund_test_template';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseServerUrl: string;
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
}

export async function teardown() {
  await database?.stop();
}
