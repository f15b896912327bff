import { Kysely, PostgresDialect, type Transaction } from 'kysely';
import pg from 'pg';
import type { DB } from '#db/schema.ts';
import { env } from './env.server.ts';
import { singleton } from './singleton.server.ts';

export type Database = Kysely<DB>;
/** Any executor: the pool or an open transaction. Module functions take it first. */
export type Executor = Kysely<DB> | Transaction<DB>;

// bigint (int8) columns come back as strings by default; our bigints are minor units and counts
// that fit in 2^53, so parse them as numbers and keep arithmetic simple and exact.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => {
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed)) throw new Error(`int8 value ${value} exceeds the safe integer range`);
  return parsed;
});

export function createPool(connectionString: string, max: number): pg.Pool {
  const pool = new pg.Pool({ connectionString, max, idleTimeoutMillis: 30_000, connectionTimeoutMillis: 5_000 });
  // An idle client can error when Postgres restarts; without a listener that would crash the process.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  return pool;
}

export function createDb(pool: pg.Pool): Database {
  return new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
}

export const pool = singleton('pg-pool', () => createPool(env().DATABASE_URL, env().DATABASE_POOL_MAX));
export const db = singleton('kysely', () => createDb(pool));
