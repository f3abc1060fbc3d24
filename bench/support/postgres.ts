/**
 * A PostgreSQL server for the benchmark, set up like production: fsync and synchronous commit
 * ON (the test suite's server turns them off for speed, which would flatter every number here).
 * Its own temp directory and loopback port; removed at stop.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { findPostgresBinDir, freePort } from '../../test/support/postgres-server.ts';

export interface BenchPostgres {
  /** Admin URL (database `postgres`). */
  readonly url: string;
  /** A new empty database; returns its URL. */
  createDatabase(name: string): Promise<string>;
  stop(): void;
}

export async function startBenchPostgres(): Promise<BenchPostgres> {
  const binDir = findPostgresBinDir();
  if (!binDir)
    throw new Error('PostgreSQL server binaries (initdb, pg_ctl) not found: apt-get install postgresql');
  const asRoot = process.getuid?.() === 0;
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'hostmasterd-bench-pg-'));
  const dataDir = path.join(base, 'data');
  const socketDir = path.join(base, 'run');
  fs.mkdirSync(socketDir);
  if (asRoot) {
    fs.chmodSync(base, 0o755);
    spawnSync('chown', ['-R', 'postgres:postgres', base]);
  }
  const run = (command: string, args: string[]) => {
    const full = path.join(binDir, command);
    const result = asRoot
      ? spawnSync('runuser', ['-u', 'postgres', '--', full, ...args], { encoding: 'utf8' })
      : spawnSync(full, args, { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`${command} failed: ${result.stderr || result.stdout}`);
  };
  run('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-locale']);
  const port = await freePort();
  // Durable defaults (fsync, synchronous_commit, full_page_writes on); only sizing is set.
  const options = `-c listen_addresses=127.0.0.1 -p ${port} -k ${socketDir} -c max_connections=200 -c shared_buffers=256MB`;
  run('pg_ctl', ['-D', dataDir, '-o', options, '-w', '-t', '60', '-l', path.join(base, 'log'), 'start']);
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return {
    url,
    async createDatabase(name) {
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      try {
        await admin.query(`DROP DATABASE IF EXISTS ${name}`);
        await admin.query(`CREATE DATABASE ${name}`);
      } finally {
        await admin.end();
      }
      return url.replace(/\/postgres$/, `/${name}`);
    },
    stop() {
      try {
        run('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', 'stop']);
      } catch {}
      fs.rmSync(base, { recursive: true, force: true });
    },
  };
}
