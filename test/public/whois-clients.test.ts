/**
 * WHOIS clients that hold the listener instead of asking: a line trickled a byte at a time is
 * cut at the line deadline (counted from the connection, not from the last byte), and one
 * client holding many connections at once is answered E_QUERY_RATE on the extra ones, while
 * others still get answers. A query in UTF-8 is read as UTF-8.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PublicMetrics, QueryLimiter } from '../../src/public/index.ts';
import { startWhoisServer, type WhoisServer } from '../../src/public/whois-server.ts';
import { DEMO_SEED, seedRegistry, validateSeed } from '../../src/registry/index.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { openTestDatabase, type TestDatabase } from '../support/databases.ts';

const LINE_DEADLINE_MS = 1_500;

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => resolve(socket));
    socket.once('error', reject);
  });
}

function answerOf(socket: net.Socket): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

describe('WHOIS clients that hold the listener', () => {
  let database: TestDatabase;
  let server: WhoisServer;
  const counted: string[] = [];

  beforeAll(async () => {
    database = await openTestDatabase('pglite');
    const seed = validateSeed({
      ...DEMO_SEED,
      orgs: [...(DEMO_SEED.orgs ?? []), { ...DEMO_SEED.orgs![0]!, handle: 'ZURICH-1', name: 'Zürich Netz' }],
    });
    if (!seed.ok) throw new Error(seed.error.map((p) => p.message).join('; '));
    const seeded = await seedRegistry(database.db, seed.value);
    if (!seeded.ok) throw new Error(seeded.error.message);
    const limiter: QueryLimiter = { admit: async () => ({ allowed: true }) };
    const metrics: PublicMetrics = { queryAnswered: (p, k, o) => counted.push(`${p} ${k} ${o}`) };
    server = await startWhoisServer({
      host: '127.0.0.1',
      port: 0,
      db: database.db,
      limiter,
      metrics,
      logger: silentLogger(),
      rdapBase: () => 'http://127.0.0.1:1/rdap',
      lineTimeoutMs: LINE_DEADLINE_MS,
    });
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await database?.close();
  });

  it('cuts a line trickled a byte at a time at the deadline, however often a byte comes', async () => {
    const socket = await connect(server.port);
    const answer = answerOf(socket);
    const line = '198.51.100.1 and a good deal more text than any query\r\n';
    let sent = 0;
    const trickle = setInterval(() => {
      if (sent < line.length && !socket.destroyed && socket.writable) socket.write(line[sent++]!);
    }, 100);
    const text = await answer;
    clearInterval(trickle);
    expect(text).toMatch(/^# No query line within 2 s\.$/m);
    // Cut long before the line was complete: the deadline did not restart with each byte.
    expect(sent).toBeLessThan(line.length);
  }, 60_000);

  it("answers a client's connections past ten at once with E_QUERY_RATE, and still answers its queries", async () => {
    const held = await Promise.all(Array.from({ length: 10 }, () => connect(server.port)));
    const extra = await connect(server.port);
    expect(await answerOf(extra)).toMatch(/^# E_QUERY_RATE: more than 10 connections at once/m);
    // The held ones still work.
    const first = held[0]!;
    const answer = answerOf(first);
    first.write('198.51.100.1\r\n');
    expect(await answer).toMatch(/^NetHandle:\s+NET-198-51-100-0-1$/m);
    await Promise.all(
      held.map((socket) =>
        socket.closed ? Promise.resolve() : new Promise((resolve) => socket.once('close', resolve).destroy()),
      ),
    );
    expect(counted).toContain('whois other rate_limited');
    // Once they are closed the client has its places back.
    for (let tries = 0; ; tries++) {
      const again = await connect(server.port);
      const text = answerOf(again);
      again.write('198.51.100.1\r\n');
      if (/NetHandle/.test(await text)) break;
      expect(tries).toBeLessThan(50);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }, 60_000);

  it('reads a query in UTF-8', async () => {
    const socket = await connect(server.port);
    const answer = answerOf(socket);
    // Split inside the ü: the line is decoded whole.
    const bytes = Buffer.from('Zürich*\r\n', 'utf8');
    socket.write(bytes.subarray(0, 2));
    await new Promise((resolve) => setTimeout(resolve, 50));
    socket.write(bytes.subarray(2));
    expect(await answer).toMatch(/^OrgName:\s+Zürich Netz$/m);
  }, 60_000);
});
