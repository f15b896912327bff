import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { receiveStripeWebhook } from '#app/modules/payments/webhook-intake.server.ts';
import { db } from './db.server.ts';
import { logger } from './logger.server.ts';

/** Paths served here, before Express: exempt from the page stack's origin check. */
export const WEBHOOK_PATHS = ['/webhooks/stripe'];

const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Stripe's webhooks, answered by plain Node before Express and Remix: the raw bytes (signatures
 * are over them), verified, stored once, answered. Nothing of the page stack (sessions, CSP,
 * compression, routing) applies to them, and at thousands of deliveries a second its cost
 * would be most of the request. Processing happens in the job queue.
 */
export function withWebhooks(next: RequestListener): RequestListener {
  return (req, res) => {
    const path = req.url?.split('?', 1)[0];
    if (path !== '/webhooks/stripe') return next(req, res);
    if (req.method !== 'POST') return reply(res, 405, { error: 'Stripe webhooks are POSTed.' }, { allow: 'POST' });
    const encoding = req.headers['content-encoding'];
    if (encoding && encoding !== 'identity') return reply(res, 415, { error: `Content-Encoding ${encoding} is not accepted.` });
    readBody(req).then(
      async (body) => {
        if (!body) return reply(res, 413, { error: `The body is larger than ${MAX_BODY_BYTES} bytes.` }, { connection: 'close' });
        const signature = req.headers['stripe-signature'];
        const result = await receiveStripeWebhook(db, body, typeof signature === 'string' ? signature : null);
        if (result.status === 400) reply(res, 400, { error: result.message });
        else reply(res, 200, { received: true, duplicate: !result.stored });
      },
    ).catch((error: unknown) => {
      // Not stored: a non-2xx answer makes Stripe deliver it again.
      logger.error({ event: 'stripe.webhook.failed', err: error instanceof Error ? error.message : String(error) }, 'webhook could not be stored');
      if (!res.headersSent) reply(res, 500, { error: 'The event could not be stored; Stripe will retry.' });
    });
  };
}

/** The whole body, or null past the limit (the rest is not read). */
function readBody(req: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (declared > MAX_BODY_BYTES) {
      req.resume();
      return resolve(null);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.removeAllListeners('data');
        req.resume();
        resolve(null);
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks, size)));
    req.on('error', reject);
  });
}

function reply(res: ServerResponse, status: number, body: object, headers: Record<string, string> = {}): void {
  const json = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(json), 'cache-control': 'no-store', ...headers });
  res.end(json);
}
