import path from 'node:path';
import { expect, test } from 'vitest';
import { ConfigError, parseEnv } from './env.server.ts';

const DATABASE_URL = 'postgres://makerfund@127.0.0.1:5432/makerfund';

function configError(source: Record<string, string | undefined>): string {
  try {
    parseEnv(source);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('parseEnv accepted an invalid configuration');
}

test('a missing DATABASE_URL stops boot with a message naming it', () => {
  const message = configError({});
  expect(message).toContain('DATABASE_URL is required');
  expect(message).toContain('.env.example');
});

test('an empty DATABASE_URL counts as missing', () => {
  expect(configError({ DATABASE_URL: '' })).toContain('DATABASE_URL is required');
});

test('a DATABASE_URL that is not a postgres URL is named', () => {
  expect(configError({ DATABASE_URL: 'mysql://localhost/db' })).toMatch(/DATABASE_URL must start with postgres:\/\//);
});

test('PORT=abc is named as not a port number', () => {
  expect(configError({ DATABASE_URL, PORT: 'abc' })).toContain('PORT must be a port number');
  expect(configError({ DATABASE_URL, PORT: '70000' })).toContain('PORT');
});

test('SMTP_URL with an http:// URL is named and says which schemes are allowed', () => {
  const message = configError({ DATABASE_URL, SMTP_URL: 'http://x' });
  expect(message).toContain('SMTP_URL must start with smtp:// or smtps://');
});

test('LOG_LEVEL=loud is named', () => {
  const message = configError({ DATABASE_URL, LOG_LEVEL: 'loud' });
  expect(message).toMatch(/^ {2}LOG_LEVEL /m);
  expect(message).toContain('"silent"');
});

test('every invalid variable is reported at once, one per line', () => {
  const message = configError({ DATABASE_URL, PORT: 'abc', LOG_LEVEL: 'loud', TRUST_PROXY: 'maybe', WORKER_CONCURRENCY: '0' });
  for (const key of ['PORT', 'LOG_LEVEL', 'TRUST_PROXY', 'WORKER_CONCURRENCY']) expect(message).toMatch(new RegExp(`^ {2}${key} `, 'm'));
  expect(message).not.toMatch(/^ {2}DATABASE_URL /m);
});

test('defaults are sane for local development', () => {
  const env = parseEnv({ DATABASE_URL });
  expect(env).toMatchObject({
    NODE_ENV: 'development',
    PORT: 3000,
    APP_URL: 'http://localhost:3000',
    DATABASE_URL,
    DATABASE_POOL_MAX: 8,
    LOG_LEVEL: 'info',
    TRUST_PROXY: false,
    WORKER_IN_PROCESS: true,
    WORKER_CONCURRENCY: 4,
    EMAIL_FROM: 'Makerfund <hello@makerfund.localhost>',
  });
  expect(env.SMTP_URL).toBeUndefined();
  expect(env.DATA_DIR).toBe(path.resolve('.data'));
  expect(path.isAbsolute(env.DATA_DIR)).toBe(true);
});

test('APP_URL follows PORT unless set, and values are parsed to their types', () => {
  expect(parseEnv({ DATABASE_URL, PORT: '8080' }).APP_URL).toBe('http://localhost:8080');
  const env = parseEnv({ DATABASE_URL, APP_URL: 'https://makerfund.example', TRUST_PROXY: '1', WORKER_IN_PROCESS: 'false', DATABASE_POOL_MAX: '3' });
  expect(env.APP_URL).toBe('https://makerfund.example');
  expect(env.TRUST_PROXY).toBe(true);
  expect(env.WORKER_IN_PROCESS).toBe(false);
  expect(env.DATABASE_POOL_MAX).toBe(3);
});

test('the parsed configuration is frozen', () => {
  const env = parseEnv({ DATABASE_URL });
  expect(Object.isFrozen(env)).toBe(true);
  expect(() => {
    (env as { PORT: number }).PORT = 1;
  }).toThrow(TypeError);
  expect(env.PORT).toBe(3000);
});
