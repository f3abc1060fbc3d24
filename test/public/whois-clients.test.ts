/**
 * WHOIS clients that hold the listener instead of asking: a line trickled a byte at a time is
 * cut at the line deadline (counted from the connection, not from the last byte), and one
 * client holding many connections at once is answered E_QUERY_RATE on the extra ones, while
 * others still get answers. Many addresses holding idle or answered connections (more than
 * every place) cannot keep another client from its answer, nor can one network's addresses
 * together hold more than its share. A query without a line end, its side closed, is answered;
 * a query in UTF-8 is read as UTF-8.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PublicMetrics, QueryLimiter } from '../../src/public/index.ts';
import { startWhoisServer, type WhoisServer } from '../../src/public/whois-server.ts';
import { DEMO_SEED, seedRegistry, validateSeed } from '../../src/registry/index.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { openTestDatabase, type TestDatabase } from '../support/databases.ts';

const LINE_DEADLINE_MS = 1_500;

/**
 * A connection from `from` (127.0.0.0/8 is all ours: each address a client of its own). Half-open
 * allowed: the client decides when its side closes, as one that holds connections would.
 */
function connect(port: number, from = '127.0.0.1'): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port, localAddress: from, allowHalfOpen: true }, () =>
      resolve(socket),
    );
    socket.once('error', reject);
  });
}

/** Everything the server sent until it closed its side. */
function answerOf(socket: net.Socket): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const done = () => resolve(Buffer.concat(chunks).toString('utf8'));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', done);
    socket.on('close', done);
    socket.on('error', done);
  });
}

function closeAll(sockets: readonly net.Socket[]): Promise<unknown> {
  return Promise.all(
    sockets.map((socket) =>
      socket.closed ? Promise.resolve() : new Promise((resolve) => socket.once('close', resolve).destroy()),
    ),
  );
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
    await closeAll(held);
    expect(counted).toContain('whois other rate_limited');
    // Once they are closed the client has its places back.
    // The server frees them as it sees the closes: tried until then, however busy the machine.
    const deadline = Date.now() + 45_000;
    for (;;) {
      const again = await connect(server.port);
      const text = answerOf(again);
      again.write('198.51.100.1\r\n');
      if (/NetHandle/.test(await text)) break;
      expect(Date.now()).toBeLessThan(deadline);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }, 60_000);

  it('answers a query sent without a line end when the client closes its side (printf x | nc -N)', async () => {
    const socket = await connect(server.port);
    const answer = answerOf(socket);
    socket.end('198.51.100.1');
    expect(await answer).toMatch(/^NetHandle:\s+NET-198-51-100-0-1$/m);
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

describe('WHOIS clients holding places from many addresses', () => {
  let database: TestDatabase;
  let server: WhoisServer;

  beforeAll(async () => {
    database = await openTestDatabase('pglite');
    const seeded = await seedRegistry(database.db, validateSeedOrThrow());
    if (!seeded.ok) throw new Error(seeded.error.message);
    server = await startWhoisServer({
      host: '127.0.0.1',
      port: 0,
      db: database.db,
      limiter: { admit: async () => ({ allowed: true }) },
      metrics: { queryAnswered: () => {} },
      logger: silentLogger(),
      rdapBase: () => 'http://127.0.0.1:1/rdap',
      // The default line time: the idle connections below stay idle for the whole test.
    });
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await database?.close();
  });

  /** A query from its own address, answered. */
  async function ask(from: string, query = '198.51.100.1'): Promise<string> {
    const socket = await connect(server.port, from);
    const answer = answerOf(socket);
    socket.write(`${query}\r\n`);
    const text = await answer;
    socket.destroy();
    return text;
  }

  it('answers a query while 27 addresses in 27 networks hold 10 idle connections each (more than every place)', async () => {
    const idle: net.Socket[] = [];
    const closedForRoom: Array<Promise<string>> = [];
    for (let network = 1; network <= 27; network++) {
      const from = `127.0.${network}.1`;
      const batch = await Promise.all(Array.from({ length: 10 }, () => connect(server.port, from)));
      for (const socket of batch) closedForRoom.push(answerOf(socket));
      idle.push(...batch);
    }
    try {
      expect(await ask('127.0.200.1')).toMatch(/^NetHandle:\s+NET-198-51-100-0-1$/m);
      expect(await ask('127.0.201.1', 'DEMOISP-1')).toMatch(/^OrgId:\s+DEMOISP-1$/m);
      // The places went from the oldest idle connections, each told why.
      const told = await Promise.race([
        Promise.any(closedForRoom),
        new Promise<string>((resolve) => setTimeout(() => resolve('nothing'), 30_000)),
      ]);
      expect(told).toMatch(/^# Closed to make room for others: no query line came\.$/m);
    } finally {
      await closeAll(idle);
    }
  }, 120_000);

  it('holds one network to 32 connections at once, whatever its addresses', async () => {
    const held = await Promise.all(
      Array.from({ length: 32 }, (_, i) => connect(server.port, `127.0.50.${1 + (i % 8)}`)),
    );
    try {
      const extra = await connect(server.port, '127.0.50.99');
      expect(await answerOf(extra)).toMatch(
        /^# E_QUERY_RATE: more than 32 connections at once from your network \(127\.0\.50\.0\/24\)\.$/m,
      );
      // Another network is not held by it.
      expect(await ask('127.0.51.1')).toMatch(/NetHandle/);
    } finally {
      await closeAll(held);
    }
  }, 120_000);

  it('answers a query while 300 answered clients keep their connections open', async () => {
    const kept: net.Socket[] = [];
    for (let network = 60; network < 90; network++) {
      const batch = await Promise.all(
        Array.from({ length: 10 }, async () => {
          const socket = await connect(server.port, `127.0.${network}.1`);
          const answer = answerOf(socket);
          socket.write('?\r\n');
          await answer;
          return socket;
        }),
      );
      kept.push(...batch);
    }
    try {
      expect(await ask('127.0.202.1')).toMatch(/^NetHandle:\s+NET-198-51-100-0-1$/m);
    } finally {
      await closeAll(kept);
    }
  }, 120_000);
});

function validateSeedOrThrow() {
  const seed = validateSeed(DEMO_SEED);
  if (!seed.ok) throw new Error(seed.error.map((p) => p.message).join('; '));
  return seed.value;
}
