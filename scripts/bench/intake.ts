import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

/**
 * Row 1 of BENCH.md: signed POST → verified → stored → 2xx, with a real
 * invoice.paid event body (Stripe's example at our API version), a fresh event
 * id per request, signed exactly like Stripe signs.
 */
const template = readFileSync(new URL('../../../shared/stripe/events/03-invoice.paid.subscription_create.json', import.meta.url), 'utf8');
const templateId = (JSON.parse(template) as { id: string }).id;

export function eventBody(id: string): string {
  return template.replace(templateId, id);
}

export function signature(body: string, secret: string, timestamp = Math.floor(Date.now() / 1000)): string {
  const v1 = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${v1}`;
}

export type LoadResult = { requestsPerSecond: number; p50: number; p99: number; non2xx: number; errors: number; total: number };

export async function loadWebhooks(options: {
  url: string;
  secret: string;
  connections: number;
  seconds: number;
  overallRate?: number;
  duplicates?: boolean;
}): Promise<LoadResult> {
  const fixedBody = eventBody(`evt_bench_duplicate_${randomBytes(4).toString('hex')}`);
  const prefix = `evt_bench_${randomBytes(3).toString('hex')}_`;
  let counter = 0;
  const result = await autocannon({
    url: `${options.url}/webhooks/stripe`,
    connections: options.connections,
    duration: options.seconds,
    ...(options.overallRate ? { overallRate: options.overallRate } : {}),
    requests: [
      {
        method: 'POST',
        setupRequest: (request) => {
          const body = options.duplicates ? fixedBody : eventBody(`${prefix}${(counter += 1)}`);
          return {
            ...request,
            body,
            headers: { 'content-type': 'application/json', 'stripe-signature': signature(body, options.secret) },
          };
        },
      },
    ],
  });
  return {
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    total: result.requests.total,
  };
}

/**
 * The pgbench counterpart: the same row into the same table (same indexes, same TOASTed
 * payload) as the intake writes, one autocommit insert … on conflict do nothing. Like a real
 * delivery, each row's payload carries its own event id.
 */
export function insertScript(): string {
  const payload = eventBody('evt_x').replace(/'/g, "''").replace(/\s*\n\s*/g, ' ');
  return `\\set n random(1, 2000000000)\ninsert into stripe_events (id, type, livemode, api_version, object_id, stripe_created_at, payload) select id, 'invoice.paid', false, '2026-10-28.endive', 'in_1F5CCPq3XK2LkD9D3aLmDS7NK', now(), replace('${payload}', 'evt_x', id) from (select 'evt_pg_' || :n || '_' || :client_id as id) as event on conflict (id) do nothing;\n`;
}
