/**
 * `hostmasterd start --role public` as an operator runs it: two processes on one PostgreSQL and
 * one Redis. Each is ready when both answer, counts its queries by protocol, kind and outcome,
 * and the per-client query limit is one count in Redis for both (RDAP 429 with Retry-After, a
 * WHOIS line saying so; the validation page counts with them). With Redis gone, lookups are still
 * answered (uncounted) and /readyz says what is down. The validation mail's link works on a
 * public process of its own, and its answer counts on that process's /metrics.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import { type DatabaseHandle, openDatabase, tables } from '../../src/db/index.ts';
import { DEMO_SEED, seedRegistry, validateSeed } from '../../src/registry/index.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { runValidationRound } from '../../src/validation/index.ts';
import { eventually, getJson, Metrics } from '../ops/support/ops-http.ts';
import { type RoleProcess, spawnRole } from '../ops/support/processes.ts';
import { createPostgresDatabase } from '../support/databases.ts';
import { freePort } from '../support/postgres-server.ts';
import { type RedisServer, startRedis } from '../support/redis-server.ts';
import { type RdapObject, whois, whoisValues } from './support/clients.ts';

const LIMIT = 6;

interface PublicProcess {
  readonly process: RoleProcess;
  readonly whoisPort: number;
  readonly rdapPort: number;
}

describe('the public role in processes of its own', () => {
  let redis: RedisServer;
  let database: DatabaseHandle;
  const processes: PublicProcess[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    const url = await createPostgresDatabase();
    database = await openDatabase({ kind: 'postgres', url }, { migrate: false });
    const doc = validateSeed(DEMO_SEED);
    if (!doc.ok) throw new Error('demo seed invalid');
    const seeded = await seedRegistry(database.db, doc.value);
    if (!seeded.ok) throw new Error(seeded.error.message);
    for (let i = 0; i < 2; i++) {
      const [whoisPort, rdapPort, opsPort] = [await freePort(), await freePort(), await freePort()];
      const process = spawnRole({
        roles: ['public'],
        env: {
          DATABASE_URL: url,
          REDIS_URL: redis.url,
          DATA_DIR: '/nonexistent',
          CONSOLE_PORT: String(opsPort),
          WHOIS_PORT: String(whoisPort),
          RDAP_PORT: String(rdapPort),
          PUBLIC_QUERIES_PER_MINUTE: String(LIMIT),
          LOG_LEVEL: 'warn',
        },
      });
      processes.push({ process, whoisPort, rdapPort });
    }
    await Promise.all(processes.map((p) => p.process.ready(60_000)));
  }, 120_000);

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.process.stop()));
    await database?.close();
    await redis?.stop();
  });

  it('is ready when the database and Redis answer, and says it runs the public role', async () => {
    for (const { process } of processes) {
      expect((await getJson(process.opsPort, '/readyz')).json).toMatchObject({
        status: 'ready',
        checks: { database: { status: 'up' }, redis: { status: 'up' } },
      });
      expect((await getJson(process.opsPort, '/healthz')).json).toMatchObject({ roles: ['public'] });
    }
  });

  it("limits one client's queries across both processes, in both protocols, and counts them by kind and outcome", async () => {
    const [a, b] = processes as [PublicProcess, PublicProcess];
    const rdap = (port: number, path: string) =>
      fetch(`http://127.0.0.1:${port}/rdap${path}`).then(async (r) => ({
        status: r.status,
        retryAfter: r.headers.get('retry-after'),
        body: (await r.json()) as RdapObject,
      }));
    // The limit counts per minute; a run that crosses a minute's end starts again in the next.
    let refusedRdap: Awaited<ReturnType<typeof rdap>> | undefined;
    let refusedWhois = '';
    let refusedPage: Response | undefined;
    for (let attempt = 0; attempt < 3 && refusedRdap === undefined; attempt++) {
      const minute = Math.floor(Date.now() / 60_000);
      const answers: string[] = [];
      for (let i = 0; i < LIMIT / 2; i++) answers.push(await whois(a.whoisPort, '198.51.100.1'));
      for (let i = 0; i < LIMIT / 2; i++)
        answers.push(JSON.stringify((await rdap(b.rdapPort, '/ip/198.51.100.1')).body));
      const overRdap = await rdap(a.rdapPort, '/ip/198.51.100.1');
      const overWhois = await whois(b.whoisPort, '198.51.100.1');
      const overPage = await fetch(`http://127.0.0.1:${a.rdapPort}/validate/VT-${'A'.repeat(26)}`);
      if (Math.floor(Date.now() / 60_000) !== minute) continue;
      refusedPage = overPage;
      for (const answer of answers) expect(answer).toContain('NET-198-51-100-0-1');
      refusedRdap = overRdap;
      refusedWhois = overWhois;
    }
    expect(refusedRdap).toMatchObject({ status: 429, body: { errorCode: 429, title: 'Too Many Requests' } });
    expect(Number(refusedRdap!.retryAfter)).toBeGreaterThan(0);
    expect(JSON.stringify(refusedRdap!.body)).toContain(`more than ${LIMIT} queries a minute`);
    expect(refusedWhois).toMatch(
      /^# E_QUERY_RATE: more than 6 queries a minute from your address; try again in \d+ s\.$/m,
    );
    expect(whoisValues(refusedWhois, 'NetHandle')).toEqual([]);
    expect(refusedPage?.status).toBe(429);
    expect(refusedPage!.headers.get('cache-control')).toBe('no-store');
    expect(Number(refusedPage!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await refusedPage!.text()).toMatch(/^E_QUERY_RATE: more than 6 queries a minute/);

    const [ma, mb] = await Promise.all(processes.map((p) => Metrics.scrape(p.process.opsPort)));
    const name = 'hostmasterd_public_queries_total';
    expect(ma!.value(name, { protocol: 'whois', kind: 'net', outcome: 'found' })).toBeGreaterThanOrEqual(
      LIMIT / 2,
    );
    expect(mb!.value(name, { protocol: 'rdap', kind: 'net', outcome: 'found' })).toBeGreaterThanOrEqual(
      LIMIT / 2,
    );
    expect(ma!.value(name, { protocol: 'rdap', outcome: 'rate_limited' })).toBeGreaterThanOrEqual(1);
    expect(mb!.value(name, { protocol: 'whois', outcome: 'rate_limited' })).toBeGreaterThanOrEqual(1);
    // Label values from closed lists only: whatever was asked never becomes a label.
    const labels = [...ma!.samples, ...mb!.samples].filter((s) => s.name === name).map((s) => s.labels);
    for (const l of labels) {
      expect(['whois', 'rdap']).toContain(l['protocol']);
      expect(JSON.stringify(l)).not.toContain('198.51');
    }
  }, 120_000);

  it('answers lookups uncounted while Redis is down, and /readyz names Redis', async () => {
    await redis.stop();
    const [a] = processes as [PublicProcess];
    await eventually(async () => {
      const readiness = await getJson(a.process.opsPort, '/readyz');
      expect(readiness.status).toBe(503);
      expect(readiness.json).toMatchObject({ checks: { redis: { status: 'down' } } });
    }, 30_000);
    for (let i = 0; i < LIMIT + 2; i++) {
      expect(whoisValues(await whois(a.whoisPort, 'o DEMOISP-1'), 'OrgId')).toEqual(['DEMOISP-1']);
    }
    const answer = await fetch(`http://127.0.0.1:${a.rdapPort}/rdap/entity/DEMOISP-1`);
    expect(answer.status).toBe(200);
  }, 120_000);

  it("serves the validation mail's link in a public process of its own (Redis down: the page needs only the database) and counts the answer on its /metrics", async () => {
    const [a] = processes as [PublicProcess];
    const asOf = new Date(Date.now() + 366 * 24 * 60 * 60 * 1000);
    const config = loadConfig({ PUBLIC_URL: 'https://whois.registry.example' });
    await runValidationRound({ db: database.db, config, logger: silentLogger() }, asOf);
    const [row] = await database.db
      .select({ raw: tables.outbox.raw })
      .from(tables.outbox)
      .where(eq(tables.outbox.kind, 'validation'))
      .limit(1);
    const path = /https:\/\/whois\.registry\.example(\/validate\/VT-[A-Z2-7]{26})/.exec(
      // quoted-printable: soft line breaks out
      row!.raw.replace(/=\r?\n/g, ''),
    )?.[1];
    expect(path).toBeDefined();
    const page = await fetch(`http://127.0.0.1:${a.rdapPort}${path}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<button type="submit">');
    const pressed = await fetch(`http://127.0.0.1:${a.rdapPort}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: '',
    });
    expect(pressed.status).toBe(200);
    expect(pressed.headers.get('x-hostmaster-status')).toBe('VALIDATED');
    const metrics = await Metrics.scrape(a.process.opsPort);
    expect(metrics.value('hostmasterd_poc_validations_total', { event: 'answered' })).toBe(1);
  }, 120_000);
});
