import path from 'node:path';
import { createRequestHandler } from '@remix-run/express';
import type { ServerBuild } from '@remix-run/node';
import compression from 'compression';
import express from 'express';
import { sql } from 'kysely';
import type { ViteDevServer } from 'vite';
import { db } from './db.server.ts';
import { env } from './env.server.ts';
import { logger } from './logger.server.ts';
import { originCheck, securityHeaders } from './security.server.ts';
import { WEBHOOK_PATHS } from './webhooks.server.ts';

declare module '@remix-run/node' {
  interface AppLoadContext {
    cspNonce: string;
    clientIp: string;
  }
}

type Options =
  | { mode: 'production'; buildDir: string }
  | { mode: 'development'; vite: ViteDevServer };

/** The HTTP app: headers, CSRF origin check, health, static files, then Remix. Webhooks come before it (webhooks.server.ts). */
export async function createExpressApp(options: Options): Promise<express.Express> {
  const config = env();
  const production = options.mode === 'production';
  const app = express();
  app.disable('x-powered-by');
  // One reverse proxy in front: req.ip is the address it saw (the last X-Forwarded-For entry).
  // `true` would take the first entry, which the client writes itself and could rotate to dodge
  // the per-IP login throttle.
  app.set('trust proxy', config.TRUST_PROXY ? 1 : false);
  app.use(compression());
  // Forms that answer with a redirect to Stripe's hosted pages (Checkout, portal, onboarding)
  // must be allowed to: without JavaScript the browser enforces form-action on that redirect.
  const stripeHosted = config.STRIPE_API_BASE
    ? [new URL(config.STRIPE_API_BASE).origin]
    : ['https://checkout.stripe.com', 'https://billing.stripe.com', 'https://connect.stripe.com'];
  app.use(securityHeaders({ production, extraFormActions: stripeHosted }));

  app.get('/healthz', async (_req, res) => {
    try {
      await sql`select 1`.execute(db).then(() => undefined);
      res.json({ status: 'ok', database: 'reachable' });
    } catch (error) {
      logger.warn({ err: (error as Error).message }, 'healthz: database unreachable');
      res.status(503).json({ status: 'degraded', database: 'unreachable' });
    }
  });

  app.use(originCheck({ appOrigin: new URL(config.APP_URL).origin, exempt: WEBHOOK_PATHS, allowRequestHost: !production }));

  let build: ServerBuild | (() => Promise<ServerBuild>);
  if (options.mode === 'development') {
    app.use(options.vite.middlewares);
    const vite = options.vite;
    build = () => vite.ssrLoadModule('virtual:remix/server-build') as Promise<ServerBuild>;
  } else {
    const clientDir = path.join(options.buildDir, 'client');
    app.use('/assets', express.static(path.join(clientDir, 'assets'), { immutable: true, maxAge: '1y' }));
    app.use(express.static(clientDir, { maxAge: '1h' }));
    build = (await import(path.join(options.buildDir, 'server/index.js'))) as ServerBuild;
  }

  app.all(
    '*',
    createRequestHandler({
      build,
      mode: production ? 'production' : 'development',
      getLoadContext: (req, res) => ({ cspNonce: String(res.locals.cspNonce), clientIp: req.ip ?? 'unknown' }),
    }),
  );

  app.use((error: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    logger.error({ err: error.message }, 'unhandled request error');
    res.status(500).type('text/plain').send('Something went wrong on our side. Please try again.');
  });
  return app;
}
