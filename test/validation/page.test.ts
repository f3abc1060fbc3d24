/**
 * The public `/validate/TOKEN` page as a plugin on a bare fastify instance (the lead mounts it on
 * the public role's listener): GET shows a confirm button and changes nothing, POST validates
 * once, a used, expired or unknown token is refused, and no log line carries the token.
 */
import { PassThrough } from 'node:stream';
import { eq } from 'drizzle-orm';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import { tables } from '../../src/db/index.ts';
import { DEMO_SEED, seedRegistry, validateSeed } from '../../src/registry/index.ts';
import { createLogger, silentLogger } from '../../src/shared/index.ts';
import { runValidationRound, validationPage } from '../../src/validation/index.ts';
import { openTestDatabase, type TestDatabase } from '../support/databases.ts';

const DAY = 24 * 60 * 60 * 1000;

/** A bare fastify instance logging through our logger, as the public role's would. */
function bareServer(out: PassThrough) {
  return Fastify({ loggerInstance: createLogger({ level: 'trace', destination: out }) });
}

describe('the public validation page', () => {
  let database: TestDatabase;
  let app: ReturnType<typeof bareServer>;
  const logLines: string[] = [];
  const tokens = new Map<string, string>();
  const asOf = new Date(Date.now() + 366 * DAY);
  let clock = new Date();

  beforeAll(async () => {
    database = await openTestDatabase('pglite');
    const doc = validateSeed(DEMO_SEED);
    if (!doc.ok) throw new Error('demo seed');
    await seedRegistry(database.db, doc.value);
    const config = loadConfig({ PUBLIC_URL: 'https://whois.registry.example' });
    await runValidationRound({ db: database.db, config, logger: silentLogger() }, asOf);
    // The token exists only in the mail: read it from the outbox as the POC would from its inbox.
    for (const row of await database.db
      .select()
      .from(tables.outbox)
      .where(eq(tables.outbox.kind, 'validation'))) {
      const handle = /X-Hostmaster-Validation: (\S+)/.exec(row.raw)?.[1];
      const token = /Validation-Token: (VT-[A-Z2-7]{26})/.exec(row.raw)?.[1];
      if (handle && token) tokens.set(handle, token);
    }
    const out = new PassThrough();
    out.on('data', (chunk: Buffer) => logLines.push(chunk.toString('utf8')));
    app = bareServer(out);
    await app.register(validationPage, { db: database.db, now: () => clock });
    await app.ready();
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await database?.close();
  });

  const stateOf = async (handle: string) =>
    (await database.db.select().from(tables.pocs).where(eq(tables.pocs.handle, handle)))[0]?.validationState;

  it('GET shows the POC and a confirm button, and validates nobody (a link preview opening it)', async () => {
    const token = tokens.get('DEMO1-ARIN')!;
    expect(token).toMatch(/^VT-/);
    for (const method of ['GET', 'HEAD'] as const) {
      const res = await app.inject({ method, url: `/validate/${token}` });
      expect(res.statusCode).toBe(200);
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['cache-control']).toBe('no-store');
    }
    const res = await app.inject({ method: 'GET', url: `/validate/${token.toLowerCase()}` });
    expect(res.body).toContain('DEMO1-ARIN');
    expect(res.body).toMatch(/<form method="post" action="VT-[A-Z2-7]{26}"><button type="submit">/);
    expect(await stateOf('DEMO1-ARIN')).toBe('pending');
  });

  it('POST validates once; the same token again is refused (409)', async () => {
    const token = tokens.get('DEMO1-ARIN')!;
    const res = await app.inject({
      method: 'POST',
      url: `/validate/${token}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: '',
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-hostmaster-status']).toBe('VALIDATED');
    expect(res.body).toContain('POC DEMO1-ARIN validated');
    expect(await stateOf('DEMO1-ARIN')).toBe('valid');
    const [request] = await database.db
      .select()
      .from(tables.pocValidations)
      .where(eq(tables.pocValidations.pocHandle, 'DEMO1-ARIN'));
    expect(request).toMatchObject({ state: 'validated', answeredBy: 'web' });

    const again = await app.inject({ method: 'POST', url: `/validate/${token}` });
    expect(again.statusCode).toBe(409);
    expect(again.headers['x-hostmaster-status']).toBe('REJECTED');
    expect(again.body).toContain('E_VALIDATION_USED');
  });

  it('an unknown or malformed token is 404; one past its answer period is 410 and validates nothing', async () => {
    expect(
      (await app.inject({ method: 'GET', url: '/validate/VT-AAAAAAAAAAAAAAAAAAAAAAAAAA' })).statusCode,
    ).toBe(404);
    expect(
      (await app.inject({ method: 'POST', url: '/validate/VT-AAAAAAAAAAAAAAAAAAAAAAAAAA' })).statusCode,
    ).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/validate/%3Cscript%3E' })).body).not.toContain(
      '<script>',
    );
    clock = new Date(asOf.getTime() + 61 * DAY);
    const late = await app.inject({ method: 'POST', url: `/validate/${tokens.get('OTHER1-ARIN')!}` });
    expect(late.statusCode).toBe(410);
    expect(late.body).toContain('E_VALIDATION_EXPIRED');
    expect(await stateOf('OTHER1-ARIN')).toBe('pending');
  });

  it('the round paced its mails through the outbox: one every 3600/VALIDATION_MAILS_PER_HOUR seconds (600: 6 s)', async () => {
    const rows = await database.db.select().from(tables.outbox).where(eq(tables.outbox.kind, 'validation'));
    const due = rows.map((r) => r.nextAttemptAt.getTime()).sort((a, b) => a - b);
    expect(due).toHaveLength(2);
    expect(due[1]! - due[0]!).toBe(6_000);
    expect(rows.every((r) => r.envelopeFrom === 'hostmaster@localhost')).toBe(true);
  });

  it('no log line carries a token', async () => {
    await new Promise((r) => setImmediate(r));
    const text = logLines.join('');
    for (const token of tokens.values()) expect(text.toUpperCase()).not.toContain(token.slice(3));
  });
});

describe('the public validation page with the database down', () => {
  it('answers 503 "try again" in HTML, with no SQL, parameters or addresses, on GET and POST; the token not logged', async () => {
    const database = await openTestDatabase('pglite');
    const doc = validateSeed(DEMO_SEED);
    if (!doc.ok) throw new Error('demo seed');
    await seedRegistry(database.db, doc.value);
    await runValidationRound(
      { db: database.db, config: loadConfig({}), logger: silentLogger() },
      new Date(Date.now() + 366 * DAY),
    );
    const [row] = await database.db.select().from(tables.outbox).where(eq(tables.outbox.kind, 'validation'));
    const token = /Validation-Token: (VT-[A-Z2-7]{26})/.exec(row!.raw)![1]!;
    const lines: string[] = [];
    const out = new PassThrough();
    out.on('data', (chunk: Buffer) => lines.push(chunk.toString('utf8')));
    const app = bareServer(out);
    await app.register(validationPage, { db: database.db });
    await app.ready();
    // The outage: the database is gone under the running page.
    await database.close();
    try {
      for (const method of ['GET', 'POST'] as const) {
        const answer = await app.inject({ method, url: `/validate/${token}` });
        expect(answer.statusCode, answer.body).toBe(503);
        expect(answer.headers['content-type']).toMatch(/^text\/html/);
        expect(answer.headers['retry-after']).toBe('60');
        expect(answer.body).toContain('could not answer just now');
        expect(answer.body).not.toMatch(/select|poc_validations|params|ECONNREFUSED|closed|statusCode/i);
      }
      await new Promise((r) => setImmediate(r));
      expect(lines.join('').toUpperCase()).not.toContain(token.slice(3));
    } finally {
      await app.close();
    }
  }, 120_000);
});
