import pino from 'pino';
import { env } from './env.server.ts';
import { singleton } from './singleton.server.ts';

/**
 * Structured JSON logs in UTC. Anything that could carry a secret is redacted
 * by path, so a careless `log.info({ req })` cannot leak a cookie or a password.
 */
export const logger = singleton('logger', () =>
  pino({
    level: env().LOG_LEVEL,
    base: { service: 'makerfund' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: [
        'password',
        '*.password',
        'passwordHash',
        '*.passwordHash',
        'sessionId',
        '*.sessionId',
        'token',
        '*.token',
        'headers.cookie',
        'headers.authorization',
        '*.headers.cookie',
        '*.headers.authorization',
        'databaseUrl',
      ],
      censor: '[redacted]',
    },
  }),
);
