/**
 * Once per test run: dist/ compiled when src/ changed (tests run bin/hostmasterd, which runs the
 * compiled CLI; building here once spares every spawned process the check's build), one throwaway PostgreSQL server with a migrated template database that each
 * test clones (CREATE DATABASE ... TEMPLATE), and one migrated PGlite snapshot that each test loads.
 * Migrating a PGlite database costs seconds and hundreds of MB; loading a snapshot is cheap.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { ensureBuilt } from '../../scripts/build.mjs';
import { openDatabase } from '../../src/db/index.ts';
import { type PostgresServer, startPostgres } from './postgres-server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
    pgliteSnapshotPath: string;
  }
}

export const TEMPLATE_DATABASE = 'hostmasterd_template';

let server: PostgresServer | undefined;
let snapshotDir: string | undefined;

export async function setup(project: TestProject): Promise<void> {
  const buildFailure = ensureBuilt({ quiet: true });
  if (buildFailure) throw new Error(`could not compile src/ to dist/: ${buildFailure}`);
  server = await startPostgres();
  const templateUrl = server.url.replace(/\/postgres$/, `/${TEMPLATE_DATABASE}`);
  const { default: pg } = await import('pg');
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${TEMPLATE_DATABASE}`);
  await admin.end();
  const migrated = await openDatabase({ kind: 'postgres', url: templateUrl });
  await migrated.close();

  snapshotDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hostmasterd-pglite-'));
  const snapshotPath = path.join(snapshotDir, 'migrated.tar');
  const { PGlite } = await import('@electric-sql/pglite');
  const lite = await openDatabase({ kind: 'pglite', dataDir: 'memory://' });
  const client = (lite.db as unknown as { $client: InstanceType<typeof PGlite> }).$client;
  const dump = await client.dumpDataDir('none');
  fs.writeFileSync(snapshotPath, Buffer.from(await dump.arrayBuffer()));
  await lite.close();

  project.provide('postgresUrl', server.url);
  project.provide('pgliteSnapshotPath', snapshotPath);
}

export async function teardown(): Promise<void> {
  server?.stop();
  if (snapshotDir) fs.rmSync(snapshotDir, { recursive: true, force: true });
}
