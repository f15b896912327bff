/**
 * npm run bench — speed targets from ../shared/BENCH.md, as ratios against a
 * baseline measured in the same run: interleaved rounds, median of ≥ 3, after a
 * warm-up. Needs a production build (`npm run build`) and pgbench.
 *
 *   npm run bench [-- --rounds 3 --seconds 5 --clients 8 --only intake|processing]
 *
 * Writes bench-results/<timestamp>.json and prints a table.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { createDatabase, dropDatabase, ensureDatabase } from './lib/database.ts';
import { migrateToLatest } from './lib/migrate.ts';
import { dataDir, loadDotEnv, repoRoot, runMain, say } from './lib/cli.ts';
import { insertScript, loadWebhooks } from './bench/intake.ts';
import { pgbench, pgbenchAvailable } from './bench/pgbench.ts';
import { startMinimalWebhookServer, startServer } from './bench/server.ts';
import { median, round } from './bench/stats.ts';

export type Row = { id: string; what: string; baseline: string; measured: Record<string, number>; ratio: number; target: string; pass: boolean };

const SECRET = 'whsec_makerfund_bench_secret';

async function benchIntake(options: { databaseUrl: string; rounds: number; seconds: number; clients: number }): Promise<Row> {
  const server = await startServer({
    DATABASE_URL: options.databaseUrl,
    DATA_DIR: path.join(os.tmpdir(), `makerfund-bench-${process.pid}`),
    STRIPE_SECRET_KEY: 'sk_test_makerfund_bench',
    STRIPE_WEBHOOK_SECRETS: SECRET,
    WORKER_IN_PROCESS: 'false',
  });
  // BENCH.md's reference point, "a minimal Node webhook server (HMAC verify + JSON parse + insert)",
  // measured here too: what any Node server on this machine gets against the same baseline.
  const minimal = await startMinimalWebhookServer({ DATABASE_URL: options.databaseUrl, WEBHOOK_SECRET: SECRET });
  try {
    say('  warm-up…');
    await loadWebhooks({ url: server.url, secret: SECRET, connections: options.clients, seconds: 2 });
    await loadWebhooks({ url: minimal.url, secret: SECRET, connections: options.clients, seconds: 2 });
    await pgbench({ url: options.databaseUrl, script: insertScript(), clients: options.clients, seconds: 2 });

    const intake: number[] = [];
    const inserts: number[] = [];
    const minimals: number[] = [];
    const p99s: number[] = [];
    let failures = 0;
    for (let round_ = 1; round_ <= options.rounds; round_ += 1) {
      const base = await pgbench({ url: options.databaseUrl, script: insertScript(), clients: options.clients, seconds: options.seconds });
      const load = await loadWebhooks({ url: server.url, secret: SECRET, connections: options.clients, seconds: options.seconds });
      const reference = await loadWebhooks({ url: minimal.url, secret: SECRET, connections: options.clients, seconds: options.seconds });
      inserts.push(base.tps);
      intake.push(load.requestsPerSecond);
      minimals.push(reference.requestsPerSecond);
      p99s.push(load.p99);
      failures += load.non2xx + load.errors;
      say(
        `  round ${round_}: pgbench insert ${round(base.tps, 0)} tps · webhook intake ${round(load.requestsPerSecond, 0)} req/s (p99 ${load.p99} ms) · ` +
          `minimal Node webhook server ${round(reference.requestsPerSecond, 0)} req/s (${reference.non2xx + reference.errors} failed)`,
      );
    }
    const max = median(intake);
    const halfRate = await loadWebhooks({ url: server.url, secret: SECRET, connections: options.clients, seconds: options.seconds, overallRate: Math.max(1, Math.floor(max / 2)) });
    const duplicates = await loadWebhooks({ url: server.url, secret: SECRET, connections: options.clients, seconds: options.seconds, duplicates: true });
    failures += halfRate.non2xx + halfRate.errors + duplicates.non2xx + duplicates.errors;
    say(`  half rate (${Math.floor(max / 2)} req/s): p99 ${halfRate.p99} ms · 100 % duplicates: ${round(duplicates.requestsPerSecond, 0)} req/s, p99 ${duplicates.p99} ms`);
    say(`  the minimal Node webhook server reaches ${round(median(minimals) / median(inserts), 2)}× of pgbench here (BENCH.md's reference machine: 0.56×); intake is ${round(max / median(minimals), 2)}× of it`);
    const ratio = max / median(inserts);
    return {
      id: '1',
      what: 'Webhook intake: signed POST → verified → stored → 2xx',
      baseline: 'pgbench single-row insert of the same event into stripe_events, same concurrency',
      measured: {
        intakeRequestsPerSecond: round(max, 0),
        pgbenchInsertTps: round(median(inserts), 0),
        p99AtFullLoadMs: median(p99s),
        p99AtHalfRateMs: halfRate.p99,
        duplicatesRequestsPerSecond: round(duplicates.requestsPerSecond, 0),
        duplicatesP99Ms: duplicates.p99,
        failedRequests: failures,
        minimalServerRequestsPerSecond: round(median(minimals), 0),
        minimalServerRatio: round(median(minimals) / median(inserts), 3),
        intakeVsMinimalServer: round(max / median(minimals), 3),
      },
      ratio: round(ratio, 3),
      target: '≥ 0.6×; p99 ≤ 100 ms at half of max rate; no failed requests',
      pass: ratio >= 0.6 && halfRate.p99 <= 100 && failures === 0,
    };
  } finally {
    await minimal.stop();
    await server.stop();
  }
}

function versions(databaseVersion: string) {
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    node: process.version,
    postgres: databaseVersion,
    pgbench: execFileSync('pgbench', ['--version']).toString().trim(),
  };
}

runMain(async () => {
  loadDotEnv();
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '3' },
      seconds: { type: 'string', default: '5' },
      clients: { type: 'string', default: '8' },
      only: { type: 'string' },
    },
    strict: true,
  });
  const rounds = Number(values.rounds);
  const seconds = Number(values.seconds);
  const clients = Number(values.clients);
  if (!Number.isInteger(rounds) || rounds < 3) throw new Error('--rounds must be a whole number ≥ 3 (medians need at least three rounds)');
  if (!Number.isInteger(seconds) || seconds < 1) throw new Error('--seconds must be a whole number ≥ 1');
  if (!Number.isInteger(clients) || clients < 1 || clients > 64) throw new Error('--clients must be between 1 and 64');
  if (values.only && !['intake', 'processing'].includes(values.only)) throw new Error('--only must be intake or processing');
  if (!existsSync(path.join(repoRoot, 'build/server/index.js'))) throw new Error('No production build: run `npm run build` first.');
  if (!(await pgbenchAvailable())) throw new Error('pgbench is not installed (Debian: apt-get install -y postgresql-client).');

  const database = await ensureDatabase({ dataDir: dataDir(), log: say });
  const name = `makerfund_bench_${process.pid}`;
  const databaseUrl = await createDatabase(database.url, name);
  try {
    await migrateToLatest(databaseUrl);
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    const version = (await client.query<{ server_version: string }>('show server_version')).rows[0]?.server_version ?? 'unknown';
    await client.end();
    const info = versions(version);
    say(`Benchmarks on ${info.cpu} × ${info.cores}, Node ${info.node}, PostgreSQL ${info.postgres}`);

    const rows: Row[] = [];
    if (!values.only || values.only === 'intake') {
      say('Row 1: webhook intake');
      rows.push(await benchIntake({ databaseUrl, rounds, seconds, clients }));
    }
    if (!values.only || values.only === 'processing') {
      const { benchProcessing } = await import('./bench/processing.ts');
      say('Row 2: webhook processing');
      rows.push(await benchProcessing({ databaseUrl, rounds, seconds, clients }));
    }

    const outDir = path.join(repoRoot, 'bench-results');
    mkdirSync(outDir, { recursive: true });
    const file = path.join(outDir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, JSON.stringify({ at: new Date().toISOString(), ...info, rounds, seconds, clients, rows }, null, 2));
    say('\n| # | what | ratio | target | pass |\n|---|---|---|---|---|');
    for (const row of rows) say(`| ${row.id} | ${row.what} | ${row.ratio}× | ${row.target} | ${row.pass ? 'yes' : 'NO'} |`);
    say(`\nDetails: ${path.relative(repoRoot, file)}`);
  } finally {
    await dropDatabase(database.url, name);
    await database.stop();
  }
});
