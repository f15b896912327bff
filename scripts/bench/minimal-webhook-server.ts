/**
 * BENCH.md's reference point for row 1, measured in the same run: "a minimal Node webhook server
 * (HMAC verify + JSON parse + insert)". Plain node:http, one insert per request into the same
 * table as the app (pg pool of 8, like the app's), nothing else — no queue wake-up, no logging, no
 * tolerance window, one secret. It tells how much of the row's gap any Node server on this machine
 * would have; it is never used by the app.
 *
 *   node scripts/bench/minimal-webhook-server.ts <port>   (DATABASE_URL, WEBHOOK_SECRET from the environment)
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import pg from 'pg';

const port = Number(process.argv[2]);
const secret = process.env.WEBHOOK_SECRET ?? '';
if (!Number.isInteger(port) || port <= 0 || !secret || !process.env.DATABASE_URL) {
  process.stderr.write('usage: DATABASE_URL=… WEBHOOK_SECRET=… node scripts/bench/minimal-webhook-server.ts <port>\n');
  process.exit(2);
}
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 8 });

function verified(body: Buffer, header: string): boolean {
  const timestamp = /(?:^|,)t=(\d+)/.exec(header)?.[1];
  const given = Buffer.from(/(?:^|,)v1=([0-9a-f]{64})/.exec(header)?.[1] ?? '', 'hex');
  if (!timestamp || given.length !== 32) return false;
  const expected = createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest();
  return timingSafeEqual(given, expected);
}

createServer((req, res) => {
  if (req.url === '/healthz') return void res.end('ok');
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    if (!verified(body, String(req.headers['stripe-signature'] ?? ''))) return void res.writeHead(400).end();
    const text = body.toString('utf8');
    const event = JSON.parse(text) as { id: string; type: string; livemode: boolean; api_version: string; created: number; data: { object: { id?: string } } };
    pool
      .query(
        'insert into stripe_events (id, type, livemode, api_version, object_id, stripe_created_at, payload) values ($1, $2, $3, $4, $5, $6, $7) on conflict (id) do nothing',
        [event.id, event.type, event.livemode, event.api_version, event.data.object.id ?? null, new Date(event.created * 1000), text],
      )
      .then(
        () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"received":true}'),
        () => res.writeHead(500).end(),
      );
  });
}).listen(port, '127.0.0.1');
