import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Loads `.env` from the repository root, if there is one; real environment variables win. */
export function loadDotEnv(): void {
  const file = path.join(repoRoot, '.env');
  if (existsSync(file)) process.loadEnvFile(file);
}

export function dataDir(): string {
  return path.resolve(repoRoot, process.env.DATA_DIR || '.data');
}

export function say(message: string): void {
  process.stdout.write(`${message}\n`);
}

/** Runs a command's main function; any error ends the process with its message and exit code 1. */
export function runMain(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}

/** The app's public URL as the server will compute it (APP_URL, else localhost:PORT). */
export function defaultAppUrl(): string {
  return process.env.APP_URL || `http://localhost:${process.env.PORT || 3000}`;
}
