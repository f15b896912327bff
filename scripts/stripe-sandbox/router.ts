/**
 * HTTP handling: auth, Stripe-Account, fault switches, form parsing, idempotency, routing to the
 * resource handlers, Stripe-shaped errors, hosted pages and the sandbox control endpoints.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import { API_VERSION, type Engine, type SandboxSwitches } from './engine.ts';
import { StripeApiError, apiError, idempotencyError, invalidRequest, rateLimitError } from './errors.ts';
import { jsonToForm, parseForm, type FormObject, type FormValue } from './form.ts';
import { newId } from './ids.ts';
import type { ApiRequest, PageRoute, Route } from './api.ts';
import type { IdempotencyRecord } from './types.ts';

type Compiled<R> = { route: R; segments: string[]; params: number };

function compile<R extends { path: string }>(routes: R[]): Compiled<R>[] {
  return routes
    .map((route) => {
      const segments = route.path.split('/').filter(Boolean);
      return { route, segments, params: segments.filter((s) => s.startsWith(':')).length };
    })
    .sort((a, b) => a.params - b.params);
}

function match<R extends { method: string }>(compiled: Compiled<R>[], method: string, path: string): { route: R; params: Record<string, string> } | 'method' | null {
  const parts = path.split('/').filter(Boolean);
  let methodMismatch = false;
  for (const c of compiled) {
    if (c.segments.length !== parts.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < parts.length; i++) {
      const seg = c.segments[i] as string;
      const part = parts[i] as string;
      if (seg.startsWith(':')) {
        try {
          params[seg.slice(1)] = decodeURIComponent(part);
        } catch {
          params[seg.slice(1)] = part;
        }
      } else if (seg !== part) {
        ok = false;
        break;
      }
    }
    if (!ok) continue;
    if (c.route.method !== method) {
      methodMismatch = true;
      continue;
    }
    return { route: c.route, params };
  }
  return methodMismatch ? 'method' : null;
}

function readBody(req: IncomingMessage, limit = 5 * 1024 * 1024): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function maskKey(key: string): string {
  if (key.length <= 12) return key.replace(/./g, '*');
  return `${key.slice(0, 8)}${'*'.repeat(Math.max(0, key.length - 12))}${key.slice(-4)}`;
}

function apiKeyOf(req: IncomingMessage): string | null {
  const auth = req.headers['authorization'];
  if (!auth) return null;
  const [scheme, value] = auth.split(' ', 2);
  if (!value) return null;
  if (scheme?.toLowerCase() === 'bearer') return value.trim();
  if (scheme?.toLowerCase() === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    return decoded.split(':')[0] ?? null;
  }
  return null;
}

function header(req: IncomingMessage, name: string): string | null {
  const v = req.headers[name];
  if (Array.isArray(v)) return v[0] ?? null;
  return v ?? null;
}

function send(res: ServerResponse, status: number, body: string | Buffer, headers: Record<string, string>): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'Content-Length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

function errorJson(err: StripeApiError): string {
  return JSON.stringify({ error: err.body }, null, 2);
}

/** Parses a switch value given as a string (form/env) or JSON value. */
export function parseSwitches(input: Record<string, unknown>): Partial<SandboxSwitches> {
  const out: Partial<SandboxSwitches> = {};
  const num = (v: unknown, name: string): number => {
    const n = typeof v === 'number' ? v : Number(v);
    if (!Number.isFinite(n)) throw invalidRequest(`Invalid ${name}: must be a number`, name);
    return n;
  };
  const bool = (v: unknown): boolean => v === true || v === 'true' || v === '1' || v === 1;
  const rate = (v: unknown, name: string): number => {
    const n = num(v, name);
    if (n < 0 || n > 1) throw invalidRequest(`Invalid ${name}: must be between 0 and 1`, name);
    return n;
  };
  for (const [key, v] of Object.entries(input)) {
    switch (key) {
      case 'rateLimitPerSecond':
        out.rateLimitPerSecond = v === null || v === '' || v === 'null' || v === 'off' ? null : num(v, key);
        break;
      case 'failureRate':
      case 'lostResponseRate':
      case 'webhookDuplicates':
        out[key] = rate(v, key);
        break;
      case 'webhookConcurrent':
      case 'webhookShuffle':
      case 'payoutFailure':
      case 'enforceBalance':
        out[key] = bool(v);
        break;
      case 'webhookDelayMs':
        out.webhookDelayMs = num(v, key);
        break;
      case 'webhookParallel': {
        const n = num(v, key);
        if (!Number.isInteger(n) || n < 1 || n > 64) throw invalidRequest('Invalid webhookParallel: must be a whole number from 1 to 64', key);
        out.webhookParallel = n;
        break;
      }
      case 'invoiceRetryDays': {
        const arr = Array.isArray(v) ? v : typeof v === 'string' ? (v === '' ? [] : v.split(',')) : [v];
        out.invoiceRetryDays = arr.map((x) => num(x, key));
        break;
      }
      case 'afterFinalRetry':
        if (v !== 'cancel' && v !== 'unpaid' && v !== 'past_due') {
          throw invalidRequest('Invalid afterFinalRetry: must be one of cancel, unpaid, or past_due', key);
        }
        out.afterFinalRetry = v;
        break;
      case 'expand':
        break;
      default:
        throw invalidRequest(`Received unknown parameter: ${key}`, key);
    }
  }
  return out;
}

export type RouterDeps = {
  engine: Engine;
  routes: Route[];
  pages: PageRoute[];
  flushWebhooks: () => Promise<void>;
  reset: () => void;
};

const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;
const MAX_IDEMPOTENCY_RECORDS = 20_000;

export function createHandler(deps: RouterDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const { engine } = deps;
  const api = compile(deps.routes);
  const pages = compile(deps.pages);
  let windowStart = 0;
  let windowCount = 0;
  let writes = 0;

  const baseHeaders = (requestId: string): Record<string, string> => ({
    'Content-Type': 'application/json',
    'Request-Id': requestId,
    'Stripe-Version': API_VERSION,
    'Cache-Control': 'no-cache, no-store',
    'Access-Control-Allow-Origin': '*',
  });

  function fingerprint(method: string, path: string, body: string): string {
    const sorted = body.split('&').filter(Boolean).sort().join('&');
    return createHash('sha256').update(`${method} ${path}\n${sorted}`).digest('hex');
  }

  /** Keys are kept 24 hours (like Stripe), and at most MAX_IDEMPOTENCY_RECORDS of them. */
  function pruneIdempotency(): void {
    const cutoff = Date.now() - IDEMPOTENCY_TTL_MS;
    const entries = Object.entries(engine.state.idempotency);
    for (const [k, r] of entries) if (r.createdMs < cutoff) delete engine.state.idempotency[k];
    const left = Object.entries(engine.state.idempotency);
    if (left.length > MAX_IDEMPOTENCY_RECORDS) {
      left.sort((a, b) => a[1].createdMs - b[1].createdMs);
      for (const [k] of left.slice(0, left.length - MAX_IDEMPOTENCY_RECORDS)) delete engine.state.idempotency[k];
    }
  }

  async function handleControl(req: IncomingMessage, res: ServerResponse, path: string, rawBody: string, requestId: string): Promise<void> {
    const headers = baseHeaders(requestId);
    const contentType = header(req, 'content-type') ?? '';
    let input: Record<string, unknown> = {};
    if (rawBody) {
      if (contentType.includes('json')) input = JSON.parse(rawBody) as Record<string, unknown>;
      else input = parseForm(rawBody);
    }
    if (path === '/v1/_sandbox/switches') {
      if (req.method === 'POST') engine.switches = { ...engine.switches, ...parseSwitches(input) };
      send(res, 200, JSON.stringify(engine.switches, null, 2), headers);
      return;
    }
    if (path === '/v1/_sandbox/flush_webhooks' && req.method === 'POST') {
      await deps.flushWebhooks();
      send(res, 200, JSON.stringify({ ok: true }), headers);
      return;
    }
    if (path === '/v1/_sandbox/deliveries' && req.method === 'GET') {
      send(res, 200, JSON.stringify({ object: 'list', data: engine.state.deliveries.slice(-200) }, null, 2), headers);
      return;
    }
    if (path === '/v1/_sandbox/reset' && req.method === 'POST') {
      deps.reset();
      send(res, 200, JSON.stringify({ ok: true }), headers);
      return;
    }
    if (path === '/v1/_sandbox/health') {
      send(res, 200, JSON.stringify({ ok: true, api_version: API_VERSION }), headers);
      return;
    }
    throw invalidRequest(`Unrecognized request URL (${req.method}: ${path}).`, undefined, undefined, 404);
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, url: URL, requestId: string): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const headers = baseHeaders(requestId);
    const rawBody = method === 'POST' ? await readBody(req) : '';

    if (path.startsWith('/v1/_sandbox/')) {
      await handleControl(req, res, path, rawBody, requestId);
      return;
    }

    // Auth
    const key = apiKeyOf(req);
    if (!key) {
      throw new StripeApiError(401, {
        type: 'invalid_request_error',
        message:
          "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/.",
      });
    }
    if (!key.startsWith('sk_test_')) {
      throw new StripeApiError(401, { type: 'invalid_request_error', message: `Invalid API Key provided: ${maskKey(key)}` });
    }

    // Fault switches
    const sw = engine.switches;
    if (sw.rateLimitPerSecond !== null) {
      const nowMs = Date.now();
      if (nowMs - windowStart >= 1000) {
        windowStart = nowMs;
        windowCount = 0;
      }
      windowCount++;
      if (windowCount > sw.rateLimitPerSecond) throw rateLimitError();
    }
    if (sw.failureRate > 0 && Math.random() < sw.failureRate) throw apiError();

    const account = header(req, 'stripe-account');
    if (account) {
      const acct = engine.store.get('account', account);
      if (!acct) {
        throw new StripeApiError(403, {
          type: 'invalid_request_error',
          code: 'account_invalid',
          message: `The provided key '${maskKey(key)}' does not have access to account '${account}' (or that account does not exist). Application access may have been revoked.`,
        });
      }
    }

    let body: FormObject;
    if (method === 'POST') {
      const ct = header(req, 'content-type') ?? '';
      if (ct.includes('application/json') && rawBody.trim()) {
        body = jsonToForm(JSON.parse(rawBody)) as FormObject;
      } else {
        body = parseForm(rawBody);
      }
      if (url.search.length > 1) body = { ...parseForm(url.search.slice(1)), ...body };
    } else {
      body = parseForm(url.search.slice(1));
    }

    const found = match(api, method, path);
    if (found === null || found === 'method') {
      throw invalidRequest(`Unrecognized request URL (${method}: ${path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`, undefined, undefined, 404);
    }

    // Idempotency (POST only, like Stripe)
    const idemKey = method === 'POST' ? header(req, 'idempotency-key') : null;
    const idemStoreKey = idemKey ? `${account ?? ''}|${idemKey}` : null;
    const fp = fingerprint(method, path, rawBody);
    if (idemStoreKey && idemKey) {
      const prior = engine.state.idempotency[idemStoreKey];
      if (prior) {
        if (prior.method !== method || prior.path !== path) {
          throw idempotencyError(
            `Keys for idempotent requests can only be used for the same endpoint they were first used for ('${prior.method} ${prior.path}' vs '${method} ${path}'). Try using a key other than '${idemKey}' if you meant to execute a different request.`,
          );
        }
        if (prior.fingerprint !== fp) {
          throw idempotencyError(
            `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idemKey}' if you meant to execute a different request.`,
          );
        }
        maybeLose(res);
        send(res, prior.status, prior.body, { ...headers, 'Idempotent-Replayed': 'true', 'Original-Request': prior.requestId });
        return;
      }
    }

    const apiReq: ApiRequest = {
      engine,
      method,
      path,
      params: found.params,
      body,
      account,
      requestId,
      idempotencyKey: idemKey,
    };
    let status = 200;
    let out: string;
    let save = true;
    try {
      const result = engine.withContext({ requestId, idempotencyKey: idemKey, account }, () => found.route.handler(apiReq));
      // Compact, where Stripe pretty-prints: whitespace is no part of the API, and a page of 100
      // expanded invoices is half the bytes to write and for the client to parse.
      out = JSON.stringify(result);
      if (method !== 'GET') engine.changed();
    } catch (err) {
      if (!(err instanceof StripeApiError)) throw err;
      status = err.status;
      out = errorJson(err);
      if (err.validation) save = false;
    }
    if (idemStoreKey && idemKey && save) {
      const record: IdempotencyRecord = { key: idemKey, method, path, account, fingerprint: fp, status, body: out, requestId, createdMs: Date.now() };
      engine.state.idempotency[idemStoreKey] = record;
      if (++writes % 200 === 0) pruneIdempotency();
      engine.changed();
    }
    maybeLose(res);
    const extra: Record<string, string> = {};
    if (idemKey) extra['Idempotency-Key'] = idemKey;
    send(res, status, out, { ...headers, ...extra });
  }

  function maybeLose(res: ServerResponse): void {
    const rate = engine.switches.lostResponseRate;
    if (rate > 0 && Math.random() < rate) res.socket?.destroy();
  }

  async function handlePage(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    const method = (req.method ?? 'GET').toUpperCase();
    const found = match(pages, method, url.pathname.replace(/\/+$/, '') || '/');
    if (found === null || found === 'method') return false;
    const rawBody = method === 'POST' ? await readBody(req) : '';
    const form = parseForm(rawBody);
    const result = engine.withContext({}, () =>
      found.route.handler({ engine, method, path: url.pathname, params: found.params, query: url.searchParams, form }),
    );
    if (method !== 'GET') engine.changed();
    if (result.redirect) {
      res.writeHead(303, { Location: result.redirect, 'Content-Length': 0 });
      res.end();
      return true;
    }
    const body = result.html ?? result.body ?? '';
    send(res, result.status ?? 200, body, {
      'Content-Type': result.contentType ?? 'text/html; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Frame-Options': 'DENY',
      'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; form-action *; base-uri 'none'",
    });
    return true;
  }

  return (req, res) => {
    const requestId = newId('req');
    const url = new URL(req.url ?? '/', 'http://sandbox.local');
    const run = async (): Promise<void> => {
      if (url.pathname.startsWith('/v1/') || url.pathname === '/v1') {
        await handleApi(req, res, url, requestId);
        return;
      }
      if (await handlePage(req, res, url)) return;
      send(res, 404, 'Not found', { 'Content-Type': 'text/plain; charset=utf-8' });
    };
    run().catch((err: unknown) => {
      if (err instanceof StripeApiError) {
        send(res, err.status, errorJson(err), baseHeaders(requestId));
        return;
      }
      if (err instanceof SyntaxError) {
        send(res, 400, errorJson(invalidRequest('Invalid JSON body')), baseHeaders(requestId));
        return;
      }
      engine.log(`stripe-sandbox: internal error on ${req.method} ${url.pathname}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      send(res, 500, errorJson(apiError('An unknown error occurred')), baseHeaders(requestId));
    });
  };
}

export type { FormValue };
