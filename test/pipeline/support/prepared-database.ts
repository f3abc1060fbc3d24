/**
 * A DATA_DIR whose embedded database is already made and migrated, as every start after the
 * first finds it. A first start makes it in a `migrate` child instead: seconds of CPU and hundreds
 * of MB each time, which tests about something else need not pay (test/ops/first-start.test.ts is
 * the one about the first start).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { inject } from 'vitest';
import { embeddedEnv } from './processes.ts';

/** Unpacks the global setup's migrated PGlite data directory (a tar of PGDATA) into DATA_DIR/pglite. */
export async function prepareEmbeddedDatabase(dataDir: string): Promise<void> {
  const pgdata = path.join(dataDir, 'pglite');
  fs.mkdirSync(pgdata, { recursive: true });
  await promisify(execFile)('tar', ['-xf', inject('pgliteSnapshotPath'), '-C', pgdata]);
}

/** `embeddedEnv` whose DATA_DIR already holds the migrated database. */
export async function preparedEmbeddedEnv(
  extra: Record<string, string> = {},
): Promise<Record<string, string>> {
  const env = await embeddedEnv(extra);
  await prepareEmbeddedDatabase(env['DATA_DIR']!);
  return env;
}
