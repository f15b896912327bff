import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kysely, PostgresDialect } from 'kysely';
import { FileMigrationProvider, Migrator, type MigrationResultSet } from 'kysely/migration';
import { runMigrations as runWorkerMigrations } from 'graphile-worker';
import pg from 'pg';

const migrationFolder = fileURLToPath(new URL('../../db/migrations', import.meta.url));

/** Applies db/migrations (Kysely) and graphile-worker's own schema to the database at `url`. */
export async function migrateToLatest(url: string, log: (message: string) => void = () => {}): Promise<void> {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
  try {
    const migrator = new Migrator({ db, provider: new FileMigrationProvider({ fs, path, migrationFolder }) });
    const result: MigrationResultSet = await migrator.migrateToLatest();
    for (const step of result.results ?? []) {
      log(`migration ${step.migrationName}: ${step.status}`);
    }
    if (result.error) throw result.error;
    await runWorkerMigrations({ pgPool: pool, logger: undefined });
  } finally {
    await db.destroy();
  }
}
