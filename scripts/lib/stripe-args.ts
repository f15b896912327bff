/** Argument parsing for the Stripe scripts (replay, sync): pure, so it is unit-tested. */

export type ReplayArgs = { kind: 'ids'; ids: string[] } | { kind: 'window'; since: Date; until: Date | null };

export class UsageError extends Error {
  override name = 'UsageError';
}

function timestamp(flag: string, value: string | undefined): Date {
  if (!value || value.startsWith('--')) throw new UsageError(`${flag} needs a timestamp, like 2026-11-01T00:00:00Z`);
  // Only full ISO 8601 instants: a bare date or a local time would mean different things on different machines.
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value)) {
    throw new UsageError(`${flag} ${value} is not an ISO 8601 timestamp with a time zone, like 2026-11-01T00:00:00Z`);
  }
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new UsageError(`${flag} ${value} is not a valid time`);
  return date;
}

/** `--id evt_1 [--id evt_2 …]` or `--since <ISO> [--until <ISO>]`. */
export function parseReplayArgs(argv: readonly string[]): ReplayArgs {
  const ids: string[] = [];
  let since: Date | null = null;
  let until: Date | null = null;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = argv[i + 1];
    if (arg === '--id') {
      if (!value || !/^evt_[A-Za-z0-9_]+$/.test(value)) throw new UsageError(`--id needs a Stripe event id like evt_1A2b3C, got ${value ?? 'nothing'}`);
      ids.push(value);
      i++;
    } else if (arg === '--since') {
      since = timestamp('--since', value);
      i++;
    } else if (arg === '--until') {
      until = timestamp('--until', value);
      i++;
    } else {
      throw new UsageError(`Unknown argument ${arg}`);
    }
  }
  if (ids.length > 0 && (since || until)) throw new UsageError('Use either --id or --since/--until, not both');
  if (ids.length > 0) return { kind: 'ids', ids: [...new Set(ids)] };
  if (until && !since) throw new UsageError('--until needs --since');
  if (!since) throw new UsageError('Say which events: --id evt_… (repeatable) or --since <time> [--until <time>]');
  if (until && until <= since) throw new UsageError('--until must be after --since');
  return { kind: 'window', since, until };
}

/** `[--since <ISO>]` for the sync. */
export function parseSyncArgs(argv: readonly string[]): { since: Date | null } {
  let since: Date | null = null;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--since') {
      since = timestamp('--since', argv[i + 1]);
      i++;
    } else {
      throw new UsageError(`Unknown argument ${argv[i]}`);
    }
  }
  return { since };
}
