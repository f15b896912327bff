/**
 * Regenerates db/schema.ts from a freshly migrated scratch database, so the
 * types always describe what the migrations produce.
 *   npm run db:codegen            write db/schema.ts
 *   npm run db:codegen -- --verify  exit 1 when db/schema.ts has drifted
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { createDatabase, dropDatabase, ensureDatabase } from './lib/database.ts';
import { migrateToLatest } from './lib/migrate.ts';
import { dataDir, loadDotEnv, repoRoot, runMain, say } from './lib/cli.ts';

export function kyselyCodegenArgs(url: string, verify: boolean): string[] {
  return [
    '--url', url,
    '--dialect', 'postgres',
    '--include-pattern', 'public.*',
    '--exclude-pattern', 'public.kysely_*',
    '--type-mapping', JSON.stringify({ int8: 'number' }),
    '--out-file', path.join(repoRoot, 'db/schema.ts'),
    '--log-level', 'error',
    ...(verify ? ['--verify'] : []),
  ];
}

export async function generateSchemaTypes(serverUrl: string, verify: boolean): Promise<void> {
  const name = `makerfund_codegen_${process.pid}`;
  const url = await createDatabase(serverUrl, name);
  try {
    await migrateToLatest(url);
    execFileSync(path.join(repoRoot, 'node_modules/.bin/kysely-codegen'), kyselyCodegenArgs(url, verify), { stdio: 'inherit' });
  } finally {
    await dropDatabase(serverUrl, name);
  }
}

if (import.meta.main) {
  runMain(async () => {
    const args = process.argv.slice(2);
    const unknown = args.filter((arg) => arg !== '--verify');
    if (unknown.length > 0) throw new Error(`Unknown argument ${unknown[0]}. Usage: npm run db:codegen [-- --verify]`);
    loadDotEnv();
    const database = await ensureDatabase({ dataDir: dataDir(), log: say });
    try {
      await generateSchemaTypes(database.url, args.includes('--verify'));
      say(args.includes('--verify') ? 'db/schema.ts matches the migrations.' : 'Wrote db/schema.ts');
    } finally {
      await database.stop();
    }
  });
}
