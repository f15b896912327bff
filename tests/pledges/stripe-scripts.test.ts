import { spawnSync } from 'node:child_process';
import { expect, test } from 'vitest';
import { parseReplayArgs, parseSyncArgs, UsageError } from '../../scripts/lib/stripe-args.ts';

test('replay takes event ids or a time window', () => {
  expect(parseReplayArgs(['--id', 'evt_1', '--id', 'evt_2', '--id', 'evt_1'])).toEqual({ kind: 'ids', ids: ['evt_1', 'evt_2'] });
  expect(parseReplayArgs(['--since', '2026-11-01T00:00:00Z'])).toEqual({ kind: 'window', since: new Date('2026-11-01T00:00:00Z'), until: null });
  expect(parseReplayArgs(['--since', '2026-11-01T00:00:00Z', '--until', '2026-11-02T00:00:00+01:00'])).toEqual({
    kind: 'window',
    since: new Date('2026-11-01T00:00:00Z'),
    until: new Date('2026-11-01T23:00:00Z'),
  });
  expect(parseSyncArgs([])).toEqual({ since: null });
});

test('bad replay arguments are refused with a reason', () => {
  const cases: [string[], RegExp][] = [
    [[], /Say which events/],
    [['--id'], /--id needs a Stripe event id/],
    [['--id', 'in_123'], /--id needs a Stripe event id/],
    [['--since', '2026-11-01'], /not an ISO 8601 timestamp/],
    [['--since', 'yesterday'], /not an ISO 8601 timestamp/],
    [['--until', '2026-11-01T00:00:00Z'], /--until needs --since/],
    [['--since', '2026-11-02T00:00:00Z', '--until', '2026-11-01T00:00:00Z'], /--until must be after --since/],
    [['--id', 'evt_1', '--since', '2026-11-01T00:00:00Z'], /either --id or --since/],
    [['--all'], /Unknown argument --all/],
  ];
  for (const [argv, message] of cases) {
    expect(() => parseReplayArgs(argv), argv.join(' ')).toThrow(UsageError);
    expect(() => parseReplayArgs(argv), argv.join(' ')).toThrow(message);
  }
});

test('npm run stripe:replay and stripe:sync exit 2 with the usage on bad arguments, touching nothing', () => {
  for (const [script, args] of [
    ['scripts/stripe-replay.ts', ['--since', 'last week']],
    ['scripts/stripe-sync.ts', ['--verbose']],
  ] as const) {
    const result = spawnSync(process.execPath, [script, ...args], { encoding: 'utf8', env: { ...process.env, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' } });
    expect(result.status, script).toBe(2);
    expect(result.stderr).toContain('Usage: npm run stripe:');
  }
});

test('the sync is scheduled every 15 minutes, once per tick across workers, and its payload is accepted', async () => {
  const { parseCronItems } = await import('graphile-worker');
  const { cronItems, taskList } = await import('#app/tasks.server.ts');
  const [sync] = parseCronItems(cronItems).filter((item) => item.task === 'sync_stripe');
  expect(sync).toMatchObject({ task: 'sync_stripe', identifier: 'sync_stripe', options: { backfillPeriod: 0, maxAttempts: 1 } });
  const at = (min: number, hour: number) => sync!.match({ min, hour, date: 21, month: 11, dow: 6 });
  expect([0, 15, 30, 45].every((min) => at(min, 3))).toBe(true);
  expect([1, 14, 29, 59].some((min) => at(min, 3))).toBe(false);
  expect(taskList.sync_stripe).toBeTypeOf('function');
});
