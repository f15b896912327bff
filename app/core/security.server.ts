import crypto from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

/**
 * Security headers for every response, and a per-request CSP nonce that
 * entry.server.tsx hands to React so only our own scripts run.
 */
export function securityHeaders(options: { production: boolean; extraFormActions?: string[] }) {
  return (_req: Request, res: Response, next: NextFunction) => {
    const nonce = crypto.randomBytes(16).toString('base64');
    res.locals.cspNonce = nonce;
    const directives = [
      `default-src 'self'`,
      `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'`,
      `style-src 'self' 'unsafe-inline'`,
      `img-src 'self' data:`,
      `font-src 'self'`,
      `connect-src 'self'${options.production ? '' : ' ws: wss:'}`,
      `object-src 'none'`,
      `base-uri 'self'`,
      `form-action 'self'${options.extraFormActions?.length ? ` ${options.extraFormActions.join(' ')}` : ''}`,
      `frame-ancestors 'none'`,
    ];
    if (options.production) directives.push('upgrade-insecure-requests');
    res.setHeader('Content-Security-Policy', directives.join('; '));
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'strict-origin-when-cross-origin');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Permissions-Policy', 'camera=(), microphone=(), geolocation=()');
    if (options.production) res.setHeader('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
    next();
  };
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * CSRF defence: a state-changing request must come from our own origin. A
 * missing or foreign Origin gets 403 before any route code runs. Paths in
 * `exempt` (the Stripe webhook) authenticate themselves by signature instead.
 */
export function originCheck(options: { appOrigin: string; exempt: string[]; allowRequestHost: boolean }) {
  return (req: Request, res: Response, next: NextFunction) => {
    if (SAFE_METHODS.has(req.method) || options.exempt.includes(req.path)) return next();
    const origin = req.get('origin');
    // In development the app is reached as localhost or 127.0.0.1 alike; in production only APP_URL counts.
    const ownOrigin = options.allowRequestHost ? `${req.protocol}://${req.get('host')}` : null;
    if (origin && (origin === options.appOrigin || origin === ownOrigin)) return next();
    res.status(403).type('text/plain').send('Forbidden: this request did not come from a Makerfund page (Origin check failed).');
  };
}
