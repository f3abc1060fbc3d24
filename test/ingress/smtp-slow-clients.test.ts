/**
 * Clients that try to hold the ingress: many connections from one address trickling a byte at a
 * time (slowloris), a session kept busy for ever, a message trickled during DATA, and a client
 * guessing recipients or sending nonsense. Each is cut with 421 while other senders, connecting
 * from other loopback addresses (all of 127/8 is local on Linux), are served as usual.
 */
import net from 'node:net';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables } from '../../src/db/index.ts';
import { type Ingress, startIngress } from '../../src/ingress/index.ts';
import { clientKey } from '../../src/ip/index.ts';
import { SubmissionQueue } from '../../src/queue/index.ts';
import { openTestDatabase, type TestDatabase } from '../support/databases.ts';
import { type RedisServer, startRedis } from '../support/redis-server.ts';
import { sendOverSmtp, templateMail, testConfig } from './helpers.ts';

/** A raw SMTP client on one socket: what it sends, all it has been told, and when it was closed. */
interface RawClient {
  write(text: string): void;
  /** Everything the server has sent so far. */
  heard(): string;
  /** Resolves once the server's text matches `pattern` (rejects after `timeoutMs`). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves when the connection is closed (by either side). */
  readonly closed: Promise<void>;
  destroy(): void;
}

function connect(port: number, localAddress: string): RawClient {
  const socket = net.createConnection({ port, host: '127.0.0.1', localAddress });
  let text = '';
  const listeners = new Set<() => void>();
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString('latin1');
    for (const listener of listeners) listener();
  });
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return {
    write: (data) => {
      if (!socket.destroyed) socket.write(data);
    },
    heard: () => text,
    waitFor(pattern, timeoutMs = 45_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(text);
          if (!match) return;
          listeners.delete(check);
          clearTimeout(timer);
          resolve(match[0]);
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`never heard ${pattern}; heard: ${text}`));
        }, timeoutMs);
        listeners.add(check);
        check();
      });
    },
    closed,
    destroy: () => socket.destroy(),
  };
}

/** Sends `text` one byte every `everyMs` until the connection closes; returns a stop function. */
function trickle(client: RawClient, text: string, everyMs: number): () => void {
  let at = 0;
  const timer = setInterval(() => {
    client.write(text[at % text.length]!);
    at++;
  }, everyMs);
  void client.closed.then(() => clearInterval(timer));
  return () => clearInterval(timer);
}

describe('SMTP clients that try to hold the ingress', { timeout: 90_000 }, () => {
  let redis: RedisServer;
  let database: TestDatabase;
  let queue: SubmissionQueue;
  let ingress: Ingress;

  beforeAll(async () => {
    [redis, database] = await Promise.all([startRedis(), openTestDatabase('postgres')]);
    queue = new SubmissionQueue({ kind: 'url', url: redis.url });
    const config = testConfig({
      redisUrl: redis.url,
      limits: {
        maxConnections: 20,
        maxConnectionsPerClient: 5,
        sessionTimeoutMs: 8_000,
        idleTimeoutMs: 3_000,
        minDataBytesPerSecond: 1024,
        maxRefusedCommands: 5,
        maxConcurrentData: 1,
      },
    });
    ingress = await startIngress({ config, db: database.db, queue });
  });
  afterAll(async () => {
    await ingress?.close();
    await queue?.close();
    await database?.close();
    await redis?.stop();
  });

  it('refuses connections past the per-client cap, cuts byte tricklers, and serves everyone else meanwhile', async () => {
    // 30 connections from one address, more than the server takes in all (20): each greeted one
    // trickles "EHLO ..." a byte every 500 ms, never finishing the line.
    const clients = Array.from({ length: 30 }, () => connect(ingress.port, '127.0.0.2'));
    const firstWords = await Promise.all(clients.map((c) => c.waitFor(/^\d{3} [^\r\n]*\r\n/)));
    const greeted = clients.filter((_, i) => firstWords[i]!.startsWith('220 '));
    const refused = firstWords.filter((w) => w.startsWith('421 '));
    expect(greeted).toHaveLength(5);
    expect(refused).toHaveLength(25);
    expect(refused[0]).toMatch(/^421 4\.7\.0 5 connections from 127\.0\.0\.2 are open, the limit/);
    const stops = greeted.map((c) => trickle(c, 'EHLO trickler.example', 500));

    // Another client is served while the tricklers are connected.
    const normal = await sendOverSmtp(ingress.port, templateMail(), {}, '127.0.0.3');
    expect(normal.code).toBe(250);
    expect(greeted.every((c) => !/\r\n421 /.test(c.heard()))).toBe(true);

    // A command trickled a byte at a time never completes: each trickler is cut and closed.
    for (const client of greeted) {
      await client.waitFor(/421 4\.4\.2 No complete command within 3 s; closing connection\r\n/);
      await client.closed;
    }
    for (const stop of stops) stop();
    // Its places are free again.
    const after = connect(ingress.port, '127.0.0.2');
    await after.waitFor(/^220 /);
    after.destroy();
  });

  it('keeps serving others through a burst of connections from one address', async () => {
    // More connections at once than the server takes in all: before they are refused (after
    // smtp-server's 100 ms wait for early talkers) they must not count against anyone else.
    const burst = Array.from({ length: 100 }, () => connect(ingress.port, '127.0.0.8'));
    const normal = await sendOverSmtp(ingress.port, templateMail(), {}, '127.0.0.9');
    expect(normal.code).toBe(250);
    for (const client of burst) client.destroy();
  });

  it('serves small messages while large ones wait for a place, and tells a large one to retry', async () => {
    // The one place for a large message is held by a client sending one at a legal pace.
    const holder = connect(ingress.port, '127.0.0.10');
    await holder.waitFor(/^220 /);
    holder.write(
      'EHLO big.example\r\nMAIL FROM:<noc@isp.example>\r\nRCPT TO:<hostmaster@rir.example>\r\nDATA\r\n',
    );
    await holder.waitFor(/354 [^\r\n]*\r\n/);
    holder.write(templateMail({ body: 'x'.repeat(76).concat('\r\n').repeat(4000) }).replace(/\r\n$/, ''));
    const pace = setInterval(() => holder.write(`${'y'.repeat(998)}\r\n`), 300);
    try {
      // A template (small) goes through at once.
      expect((await sendOverSmtp(ingress.port, templateMail(), {}, '127.0.0.11')).code).toBe(250);
      // Another large message waits for the place, then is told to try again.
      const large = await sendOverSmtp(
        ingress.port,
        templateMail({ body: 'z'.repeat(76).concat('\r\n').repeat(6000) }),
        {},
        '127.0.0.12',
      );
      expect(large.code).toBe(421);
      expect(large.text).toMatch(/^4\.3\.2 Too many large messages are arriving at once/);
    } finally {
      clearInterval(pace);
      holder.destroy();
    }
  });

  it('ends a session at its deadline however busy the client keeps it', async () => {
    const client = connect(ingress.port, '127.0.0.4');
    await client.waitFor(/^220 /);
    client.write('EHLO busy.example\r\n');
    await client.waitFor(/250 [^\r\n]*\r\n/);
    // A complete command every 500 ms: never idle, never slow.
    const timer = setInterval(() => client.write('NOOP\r\n'), 500);
    try {
      await client.waitFor(
        /421 4\.4\.2 This session has lasted 8 s, the limit; please reconnect to send more\r\n/,
      );
      await client.closed;
    } finally {
      clearInterval(timer);
    }
    expect(client.heard().match(/250 /g)?.length).toBeGreaterThan(2);
  });

  it('at the session deadline, answers the message it is storing first, then closes', async () => {
    // The submissions table is locked, so storing waits; the deadline (8 s) passes meanwhile.
    let unlock = () => {};
    const unlocked = new Promise<void>((resolve) => {
      unlock = resolve;
    });
    let locked = () => {};
    const lockTaken = new Promise<void>((resolve) => {
      locked = resolve;
    });
    const holder = database.db.transaction(async (tx) => {
      await tx.execute(sql`LOCK TABLE submissions IN EXCLUSIVE MODE`);
      locked();
      await unlocked;
    });
    await lockTaken;
    const client = connect(ingress.port, '127.0.0.13');
    try {
      await client.waitFor(/^220 /);
      client.write(
        'EHLO late.example\r\nMAIL FROM:<noc@isp.example>\r\nRCPT TO:<hostmaster@rir.example>\r\nDATA\r\n',
      );
      await client.waitFor(/354 [^\r\n]*\r\n/);
      client.write(`${templateMail()}.\r\n`);
      await new Promise((resolve) => setTimeout(resolve, 9_500));
      expect(client.heard()).not.toMatch(/421 /);
    } finally {
      unlock();
      await holder;
    }
    await client.waitFor(/250 2\.0\.0 Accepted as S\w+\r\n421 4\.4\.2 This session has lasted 8 s/);
    await client.closed;
  });

  it('cuts a message trickled during DATA and stores nothing of it', async () => {
    const client = connect(ingress.port, '127.0.0.5');
    await client.waitFor(/^220 /);
    client.write(
      'EHLO slow.example\r\nMAIL FROM:<noc@isp.example>\r\nRCPT TO:<hostmaster@rir.example>\r\nDATA\r\n',
    );
    await client.waitFor(/354 [^\r\n]*\r\n/);
    trickle(client, `${templateMail({ messageId: '<trickled@isp.example>' })}.\r\n`, 300);
    await client.waitFor(
      /421 4\.4\.2 The message arrived slower than 1024 bytes per second; closing connection/,
    );
    await client.closed;
    const stored = await database.db
      .select({ id: tables.submissions.id })
      .from(tables.submissions)
      .where(eq(tables.submissions.messageId, '<trickled@isp.example>'));
    expect(stored).toEqual([]);
  });

  it('closes a connection after the configured number of refused recipients, with 421', async () => {
    const client = connect(ingress.port, '127.0.0.6');
    await client.waitFor(/^220 /);
    client.write('EHLO guesser.example\r\nMAIL FROM:<noc@isp.example>\r\n');
    await client.waitFor(/250 [^\r\n]*\r\n250 [^\r\n]*\r\n/);
    for (let i = 0; i < 4; i++) {
      client.write(`RCPT TO:<guess${i}@rir.example>\r\n`);
      await client.waitFor(new RegExp(`550 5\\.1\\.1 <guess${i}@rir\\.example>`));
    }
    client.write('RCPT TO:<guess4@rir.example>\r\n');
    await client.waitFor(/421 4\.7\.0 5 commands were refused on this connection, the limit; closing it\r\n/);
    await client.closed;
    expect(client.heard()).not.toMatch(/guess4@rir\.example>: no such mailbox/);
  });

  it('counts protocol errors the same way (syntax, sequence, unknown commands)', async () => {
    const client = connect(ingress.port, '127.0.0.7');
    await client.waitFor(/^220 /);
    client.write('EHLO confused.example\r\n');
    await client.waitFor(/250 [^\r\n]*\r\n/);
    // Out of sequence (503), bad syntax (501), unknown (500); RSET and NOOP are fine and not counted.
    for (const line of [
      'RCPT TO:<hostmaster@rir.example>',
      'DATA',
      'RSET',
      'MAIL FROM:bad',
      'NOOP',
      'WHAT',
      'HUH',
    ]) {
      client.write(`${line}\r\n`);
    }
    await client.waitFor(/421 4\.7\.0 5 commands were refused on this connection, the limit; closing it\r\n/);
    await client.closed;
  });

  it('counts an IPv6 client by its /64 and an IPv4 client by its address', () => {
    expect(clientKey('192.0.2.7')).toBe('192.0.2.7');
    expect(clientKey('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(clientKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:db8:1:2:bbbb:cccc:dddd:eeee')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:db8:1:3::1')).not.toBe(clientKey('2001:db8:1:2::1'));
    expect(clientKey(undefined)).toBe('unknown');
  });
});
