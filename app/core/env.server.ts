import path from 'node:path';
import * as v from 'valibot';

/**
 * Configuration, parsed once at boot. A missing or malformed variable stops the
 * process with a message naming it. `.env.example` documents every variable.
 */

const port = v.pipe(
  v.string(),
  v.regex(/^\d{1,5}$/, 'must be a port number'),
  v.transform(Number),
  v.number(),
  v.minValue(0),
  v.maxValue(65535),
);
const positiveInt = v.pipe(v.string(), v.regex(/^\d+$/, 'must be a whole number'), v.transform(Number), v.minValue(1));
const bool = v.pipe(
  v.picklist(['true', 'false', '1', '0'], 'must be true or false'),
  v.transform((value) => value === 'true' || value === '1'),
);
const url = (protocols: string[]) =>
  v.pipe(
    v.string(),
    v.url('must be a URL'),
    v.check((value) => protocols.includes(new URL(value).protocol), `must start with ${protocols.map((protocol) => `${protocol}//`).join(' or ')}`),
  );

const EnvSchema = v.pipe(
  v.object({
    NODE_ENV: v.optional(v.picklist(['development', 'production', 'test']), 'development'),
    PORT: v.optional(port, '3000'),
    APP_URL: v.optional(url(['http:', 'https:'])),
    DATABASE_URL: url(['postgres:', 'postgresql:']),
    DATABASE_POOL_MAX: v.optional(positiveInt, '8'),
    DATA_DIR: v.optional(v.string(), '.data'),
    LOG_LEVEL: v.optional(v.picklist(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']), 'info'),
    TRUST_PROXY: v.optional(bool, 'false'),
    SMTP_URL: v.optional(url(['smtp:', 'smtps:'])),
    EMAIL_FROM: v.optional(v.pipe(v.string(), v.minLength(3)), 'Makerfund <hello@makerfund.localhost>'),
    WORKER_IN_PROCESS: v.optional(bool, 'true'),
    WORKER_CONCURRENCY: v.optional(positiveInt, '4'),
    // Makerfund's share of each payment, in percent (up to two decimals): shown at checkout and on receipts.
    PLATFORM_FEE_PERCENT: v.optional(
      v.pipe(
        v.string(),
        v.regex(/^\d{1,2}(\.\d{1,2})?$/, 'must be a percentage like 5 or 2.5'),
        v.transform((value) => Math.round(Number(value) * 100)),
        v.maxValue(5000, 'must be at most 50'),
      ),
      '5',
    ),
    STRIPE_SECRET_KEY: v.optional(v.pipe(v.string(), v.regex(/^(sk|rk)_(test|live)_[0-9A-Za-z_]+$/, 'must be a Stripe secret key (sk_test_… or sk_live_…)'))),
    // Points the Stripe SDK at another server (the local Stripe sandbox); unset for real Stripe.
    STRIPE_API_BASE: v.optional(url(['http:', 'https:'])),
    STRIPE_WEBHOOK_SECRETS: v.optional(
      v.pipe(
        v.string(),
        v.transform((value) => value.split(',').map((secret) => secret.trim()).filter(Boolean)),
        v.check((secrets) => secrets.every((secret) => secret.startsWith('whsec_')), 'must be a comma-separated list of whsec_… secrets'),
      ),
    ),
  }),
  v.forward(
    v.check((env) => !env.STRIPE_SECRET_KEY || (env.STRIPE_WEBHOOK_SECRETS?.length ?? 0) > 0, 'is required when STRIPE_SECRET_KEY is set (webhooks must be verified)'),
    ['STRIPE_WEBHOOK_SECRETS'],
  ),
  v.forward(
    v.check((env) => env.NODE_ENV !== 'production' || Boolean(env.STRIPE_SECRET_KEY), 'is required in production'),
    ['STRIPE_SECRET_KEY'],
  ),
  v.transform(({ PLATFORM_FEE_PERCENT, ...env }) => ({
    ...env,
    PLATFORM_FEE_BASIS_POINTS: PLATFORM_FEE_PERCENT,
    APP_URL: env.APP_URL ?? `http://localhost:${env.PORT}`,
    DATA_DIR: path.resolve(env.DATA_DIR),
    STRIPE_WEBHOOK_SECRETS: env.STRIPE_WEBHOOK_SECRETS ?? [],
  })),
);

export type Env = Readonly<v.InferOutput<typeof EnvSchema>>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function parseEnv(source: Record<string, string | undefined>): Env {
  // Empty strings count as unset, as most .env tooling treats them.
  const input = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== undefined && value !== ''));
  const result = v.safeParse(EnvSchema, input);
  if (!result.success) {
    const lines = result.issues.map((issue) => {
      const key = v.getDotPath(issue) ?? '(environment)';
      const message = issue.received === 'undefined' ? 'is required' : issue.message;
      return `  ${key} ${message}`;
    });
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}\nSee .env.example for every variable.`);
  }
  return Object.freeze(result.output);
}

let cached: Env | undefined;

/** The process's configuration; parsed on first use, then frozen. */
export function env(): Env {
  cached ??= parseEnv(process.env);
  return cached;
}
