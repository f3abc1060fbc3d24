/**
 * A fresh, migrated database per test file, on either backend, cloned from what the global
 * setup prepared. Registry tests run on both: `describe.each(BACKENDS)`.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import pg from 'pg';
import { inject } from 'vitest';
import type { DatabaseTarget } from '../../src/config/index.ts';
import { type BackendKind, type DatabaseHandle, openDatabase } from '../../src/db/index.ts';
import { TEMPLATE_DATABASE } from './global-setup.ts';

export const BACKENDS: readonly BackendKind[] = ['pglite', 'postgres'];

export interface TestDatabase extends DatabaseHandle {
  /** For a PostgreSQL clone: its URL, so another process can share it. */
  readonly target: DatabaseTarget;
}

/** A new empty PostgreSQL database cloned from the migrated template; returns its URL. */
export async function createPostgresDatabase(): Promise<string> {
  const adminUrl = inject('postgresUrl');
  const name = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATE_DATABASE}`);
  } finally {
    await admin.end();
  }
  return adminUrl.replace(/\/postgres$/, `/${name}`);
}

export function pgliteSnapshot(): Blob {
  return new Blob([fs.readFileSync(inject('pgliteSnapshotPath'))]);
}

export async function openTestDatabase(kind: BackendKind): Promise<TestDatabase> {
  if (kind === 'postgres') {
    const url = await createPostgresDatabase();
    const target: DatabaseTarget = { kind: 'postgres', url };
    const handle = await openDatabase(target, { migrate: false });
    return { ...handle, target };
  }
  const target: DatabaseTarget = { kind: 'pglite', dataDir: 'memory://' };
  const handle = await openDatabase(target, { migrate: false, pgliteSnapshot: pgliteSnapshot() });
  return { ...handle, target };
}
