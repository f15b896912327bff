/**
 * npm run ledger:check — runs every ledger invariant (MONEY.md) against DATABASE_URL (or the
 * embedded database) and prints ✓/✗ per invariant with the rows that break it.
 *   npm run ledger:check             a table; exit 1 when any invariant fails
 *   npm run ledger:check -- --json   the same as JSON on stdout
 * Exit codes: 0 all hold, 1 a violation (or the check could not run), 2 bad arguments.
 * Read-only: it neither migrates nor writes.
 */
import type { InvariantResult } from '#app/modules/ledger/invariants.server.ts';
import { ensureDatabase } from './lib/database.ts';
import { dataDir, loadDotEnv, runMain, say } from './lib/cli.ts';

const USAGE = 'Usage: npm run ledger:check [-- --json]';

export function formatReport(results: InvariantResult[]): string {
  const width = Math.max(...results.map((result) => result.name.length));
  const lines: string[] = [];
  for (const result of results) {
    const ok = result.violations.length === 0;
    lines.push(`${ok ? '✓' : '✗'} ${result.name.padEnd(width)}  ${result.description}`);
    for (const row of result.violations) lines.push(`    ${JSON.stringify(row)}`);
  }
  const failed = results.filter((result) => result.violations.length > 0).length;
  lines.push('', failed === 0 ? `All ${results.length} ledger invariants hold.` : `${failed} of ${results.length} ledger invariants fail.`);
  return lines.join('\n');
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    say(USAGE);
    process.exit(0);
  }
  const unknown = args.filter((arg) => arg !== '--json');
  if (unknown.length > 0) {
    process.stderr.write(`Unknown argument ${unknown[0]}. ${USAGE}\n`);
    process.exit(2);
  }
  const json = args.includes('--json');
  // With --json, stdout carries only the report.
  const log = json ? (message: string) => void process.stderr.write(`${message}\n`) : say;

  loadDotEnv();
  runMain(async () => {
    const database = await ensureDatabase({ dataDir: dataDir(), log });
    process.env.DATABASE_URL = database.url;
    // Imported after DATABASE_URL is settled: the pool is configured on first import.
    const { db } = await import('#app/core/db.server.ts');
    const { runInvariants } = await import('#app/modules/ledger/invariants.server.ts');
    try {
      const results = await runInvariants(db);
      const failed = results.filter((result) => result.violations.length > 0);
      if (json) {
        const report = {
          ok: failed.length === 0,
          invariants: results.map((result) => ({ ...result, ok: result.violations.length === 0 })),
        };
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      } else {
        say(formatReport(results));
      }
      if (failed.length > 0) throw new Error(`Ledger invariants failed: ${failed.map((result) => result.name).join(', ')}`);
    } finally {
      await db.destroy();
      await database.stop();
    }
  });
}
