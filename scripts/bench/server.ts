import { spawn } from 'node:child_process';
import { repoRoot } from '../lib/cli.ts';
import { freePort } from '../lib/net.ts';

export { freePort };


/** The production server in its own process, as deployed (`node scripts/start.ts`). */
export async function startServer(env: Record<string, string>, options: { port?: number } = {}): Promise<{ url: string; pid: number; stop: () => Promise<void> }> {
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  return spawnServer(['scripts/start.ts'], url, { NODE_ENV: 'production', PORT: String(port), APP_URL: url, LOG_LEVEL: 'warn', ...env });
}

/** BENCH.md's minimal webhook server (scripts/bench/minimal-webhook-server.ts), for row 1's reference point. */
export async function startMinimalWebhookServer(env: { DATABASE_URL: string; WEBHOOK_SECRET: string }): Promise<{ url: string; pid: number; stop: () => Promise<void> }> {
  const port = await freePort();
  return spawnServer(['scripts/bench/minimal-webhook-server.ts', String(port)], `http://127.0.0.1:${port}`, env);
}

async function spawnServer(args: string[], url: string, env: Record<string, string>): Promise<{ url: string; pid: number; stop: () => Promise<void> }> {
  let output = '';
  const child = spawn(process.execPath, args, { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (chunk) => (output += String(chunk)));
  child.stderr.on('data', (chunk) => (output += String(chunk)));
  const deadline = Date.now() + 30_000;
  while (!(await fetch(`${url}/healthz`).then((response) => response.ok, () => false))) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`The server did not start:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    url,
    pid: child.pid as number,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}
