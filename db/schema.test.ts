import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, inject, test } from 'vitest';
import { generateSchemaTypes, kyselyCodegenArgs } from '../scripts/codegen.ts';
import { createDatabase, dropDatabase } from '../scripts/lib/database.ts';
import { migrateToLatest } from '../scripts/lib/migrate.ts';
import { repoRoot } from '../scripts/lib/cli.ts';

const serverUrl = inject('databaseServerUrl');

test('db/schema.ts describes exactly what the migrations produce', async () => {
  await expect(generateSchemaTypes(serverUrl, true)).resolves.toBeUndefined();
}, 60_000);

// The check above is only worth having if it can fail: a schema file missing one column must be caught.
test('the verification catches a schema file that has drifted from the migrations', async () => {
  const name = `makerfund_codegen_drift_${process.pid}`;
  const url = await createDatabase(serverUrl, name);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'makerfund-schema-'));
  try {
    await migrateToLatest(url);
    const schema = fs.readFileSync(path.join(repoRoot, 'db/schema.ts'), 'utf8');
    const drifted = schema.replace(/^\s*bio: Generated<string>;\n/m, '');
    expect(drifted).not.toBe(schema);
    const file = path.join(dir, 'schema.ts');
    fs.writeFileSync(file, drifted);
    const args = kyselyCodegenArgs(url, true);
    args[args.indexOf('--out-file') + 1] = file;
    expect(() => execFileSync(path.join(repoRoot, 'node_modules/.bin/kysely-codegen'), args, { stdio: 'pipe' })).toThrow();
    expect(fs.readFileSync(file, 'utf8')).toBe(drifted);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    await dropDatabase(serverUrl, name);
  }
}, 60_000);
