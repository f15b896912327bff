import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Runs a custom pgbench script and returns its transactions per second (excluding connection time). */
export async function pgbench(options: { url: string; script: string; clients: number; seconds: number }): Promise<{ tps: number; latencyMs: number | null }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'makerfund-pgbench-'));
  const file = path.join(dir, 'script.sql');
  writeFileSync(file, options.script);
  const { stdout } = await run(
    'pgbench',
    ['-n', '-f', file, '-c', String(options.clients), '-j', String(Math.min(options.clients, 2)), '-T', String(options.seconds), '-M', 'prepared', options.url],
    { maxBuffer: 10 * 1024 * 1024 },
  );
  const tps = /tps = ([\d.]+)/.exec(stdout);
  if (!tps?.[1]) throw new Error(`Could not read pgbench output:\n${stdout}`);
  const latency = /latency average = ([\d.]+) ms/.exec(stdout);
  return { tps: Number(tps[1]), latencyMs: latency?.[1] ? Number(latency[1]) : null };
}

export async function pgbenchAvailable(): Promise<boolean> {
  return run('pgbench', ['--version']).then(
    () => true,
    () => false,
  );
}
