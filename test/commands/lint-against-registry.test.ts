/**
 * `hostmasterd lint --against-registry FILE`: the dry run offline, against the local database
 * (PGlite under DATA_DIR, or PostgreSQL): the statuses the daemon would answer, nothing changed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lintCommand } from '../../src/commands/lint.ts';
import { type Config, loadConfig } from '../../src/config/index.ts';
import { type Executor, openDatabase, queryRows } from '../../src/db/index.ts';
import { DEMO_API_KEY, DEMO_SEED, seedRegistry, validateSeed } from '../../src/registry/index.ts';
import { simpleReassignment } from '../pipeline/support/forms.ts';
import { processEnv, REPO, runCommand as runProcess } from '../pipeline/support/processes.ts';
import { commandOutput } from '../support/command-output.ts';
import { BACKENDS, createPostgresDatabase } from '../support/databases.ts';
import { mail } from '../support/stack.ts';

async function lint(config: Config, ...args: string[]) {
  const io = commandOutput();
  const code = await lintCommand(args, { stdout: io.stdout, stderr: io.stderr, config });
  const { stdout: out, stderr: err } = io.written();
  return { code, out, err };
}

async function footprint(db: Executor) {
  const [row] = await queryRows<{
    nets: string;
    customers: string;
    tickets: string;
    audit: string;
    seq: string;
  }>(
    db,
    sql`SELECT (SELECT count(*) FROM nets)::text AS nets, (SELECT count(*) FROM customers)::text AS customers,
      (SELECT count(*) FROM tickets)::text AS tickets, (SELECT count(*) FROM audit_log)::text AS audit,
      (SELECT last_value::text || is_called::text FROM customer_handle_seq) AS seq`,
  );
  return row;
}

describe.each(BACKENDS)('hostmasterd lint --against-registry (%s)', (backend) => {
  let dir: string;
  let config: Config;
  let file: string;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hm-lint-registry-'));
    config = loadConfig({
      DATA_DIR: dir,
      ...(backend === 'postgres' ? { DATABASE_URL: await createPostgresDatabase() } : {}),
    });
    const handle = await openDatabase(config.database);
    try {
      const doc = validateSeed(DEMO_SEED);
      if (!doc.ok) throw new Error('the demo seed is invalid');
      const seeded = await seedRegistry(handle.db, doc.value);
      if (!seeded.ok) throw new Error(seeded.error.message);
    } finally {
      await handle.close();
    }
    file = path.join(dir, 'batch.eml');
    fs.writeFileSync(
      file,
      mail({
        subject: `SWIP ${DEMO_API_KEY}`,
        body: [
          simpleReassignment({ range: '198.51.100.64/28', name: 'DEMO-LINT-1' }),
          simpleReassignment({ range: '198.51.100.72/29', name: 'DEMO-LINT-2' }),
          simpleReassignment({ range: '192.0.2.0/29', name: 'DEMO-LINT-3' }),
        ].join('\n'),
      }),
    );
  }, 120_000);
  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('says what each template would get, later ones seeing the earlier ones, and changes nothing', async () => {
    const before = await (async () => {
      const handle = await openDatabase(config.database);
      try {
        return await footprint(handle.db);
      } finally {
        await handle.close();
      }
    })();
    const r = await lint(config, '--against-registry', file);
    expect(r.err).toBe('');
    expect(r.out).toContain('against the registry (dry run, rolled back): requester API-****-****-****-0001');
    expect(r.out).toContain('Template 1: would be APPROVED');
    // The second overlaps the first, as it would in the real message.
    expect(r.out).toMatch(/Template 2: would be REJECTED\n {4}Error: E_OVERLAP/);
    expect(r.out).toMatch(/Template 3: would be REJECTED\n {4}Error: E_NOT_WITHIN_PARENT/);
    expect(r.out).not.toContain(DEMO_API_KEY);
    expect(r.code).toBe(1);
    const handle = await openDatabase(config.database);
    try {
      expect(await footprint(handle.db)).toEqual(before);
    } finally {
      await handle.close();
    }
  });

  it('without the flag, stays offline as before', async () => {
    const r = await lint(config, file);
    expect(r.out).not.toContain('against the registry');
    expect(r.code).toBe(0);
  });

  it('does not make a registry where there is none: says so, writes nothing', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'hm-lint-empty-'));
    try {
      const template = path.join(empty, 'one.txt');
      fs.writeFileSync(template, simpleReassignment({ range: '198.51.100.64/28', name: 'NOWHERE-1' }));
      const r = await lint(loadConfig({ DATA_DIR: empty }), '--against-registry', template);
      expect(r.code).toBe(1);
      expect(r.err).toContain(`there is no registry under ${path.join(empty, 'pglite')}`);
      expect(fs.readdirSync(empty)).toEqual(['one.txt']);
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });

  it('is refused on any other command, whose own argument it would be read as (submit: the sender)', async () => {
    const env = await processEnv({});
    const mail = fs.readFileSync(path.join(REPO, 'test/fixtures/mail/reassign-simple-5.3.eml'), 'utf8');
    const submitted = await runProcess(['submit', '--against-registry'], env, mail);
    expect(submitted.code).toBe(64);
    expect(submitted.stderr).toContain('--against-registry is for "lint" only');
    expect(submitted.stdout).not.toContain('Submission:');
    expect((await runProcess(['seed', '--against-registry', 'x.json'], env)).code).toBe(64);
    fs.rmSync(env['DATA_DIR']!, { recursive: true, force: true });
  }, 120_000);
});
