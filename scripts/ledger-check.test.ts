import { execFile } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { createDatabase, dropDatabase } from './lib/database.ts';
import { repoRoot } from './lib/cli.ts';

/**
 * The command as an operator runs it, as a child process against a database of its own (cloned
 * from the migrated template), because planting a violation there has to be committed.
 */

const serverUrl = inject('databaseServerUrl');
const name = `makerfund_ledger_check_${process.pid}`;
let url = '';

beforeAll(async () => {
  await dropDatabase(serverUrl, name);
  url = await createDatabase(serverUrl, name, inject('templateDatabase'));
});

afterAll(async () => {
  await dropDatabase(serverUrl, name);
});

type Run = { code: number; stdout: string; stderr: string };

function ledgerCheck(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(repoRoot, 'scripts/ledger-check.ts'), ...args],
      { cwd: repoRoot, env: { ...process.env, DATABASE_URL: url, NODE_ENV: 'test' }, timeout: 30_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

type Report = { ok: boolean; invariants: { name: string; description: string; ok: boolean; violations: Record<string, unknown>[] }[] };

test('on a clean ledger it exits 0 and --json reports every invariant as holding', async () => {
  const run = await ledgerCheck('--json');
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  const report = JSON.parse(run.stdout) as Report;
  expect(report.ok).toBe(true);
  expect(report.invariants.length).toBeGreaterThanOrEqual(9);
  expect(report.invariants.map((invariant) => invariant.name)).toContain('transactions_balance');
  for (const invariant of report.invariants) expect(invariant).toMatchObject({ ok: true, violations: [] });

  const table = await ledgerCheck();
  expect(table.code).toBe(0);
  expect(table.stdout).toMatch(/^✓ transactions_balance /m);
  expect(table.stdout).not.toContain('✗');
  expect(table.stdout).toContain('ledger invariants hold');
});

test('unknown arguments are refused with exit code 2', async () => {
  const run = await ledgerCheck('--jsn');
  expect(run.code).toBe(2);
  expect(run.stdout).toBe('');
  expect(run.stderr).toContain('Unknown argument --jsn');
  expect(run.stderr).toContain('Usage: npm run ledger:check');
});

test('a committed unbalanced transaction makes it exit 1 and name the failing invariants and rows', async () => {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    // Only a superuser can do this: skip the triggers that would refuse it.
    await client.query('begin');
    await client.query('set local session_replication_role = replica');
    await client.query(`insert into ledger_accounts (code, kind, currency) values ('stripe_balance:usd', 'asset', 'usd')`);
    await client.query(
      `with t as (
         insert into ledger_transactions (reference, kind, description, occurred_at)
         values ('planted:1', 'manual', 'planted by the test', now()) returning id)
       insert into ledger_entries (transaction_id, account_id, amount, currency)
       select t.id, a.id, 4200, 'usd' from t, ledger_accounts a where a.code = 'stripe_balance:usd'`,
    );
    await client.query('commit');
  } finally {
    await client.end();
  }

  const run = await ledgerCheck('--json');
  expect(run.code).toBe(1);
  expect(run.stderr).toContain('Ledger invariants failed: transactions_balance, balances_sum_to_zero');
  const report = JSON.parse(run.stdout) as Report;
  expect(report.ok).toBe(false);
  const failed = report.invariants.filter((invariant) => !invariant.ok);
  expect(failed.map((invariant) => invariant.name)).toEqual(['transactions_balance', 'balances_sum_to_zero']);
  expect(failed[0]!.violations).toEqual([expect.objectContaining({ reference: 'planted:1', currency: 'usd', total: '4200' })]);

  const table = await ledgerCheck();
  expect(table.code).toBe(1);
  expect(table.stdout).toMatch(/^✗ transactions_balance /m);
  expect(table.stdout).toMatch(/^✓ append_only /m);
  expect(table.stdout).toContain('"reference":"planted:1"');
  expect(table.stdout).toMatch(/^2 of \d+ ledger invariants fail\.$/m);
});
