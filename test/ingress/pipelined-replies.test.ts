/**
 * A pipelining client (RFC 2920: MAIL FROM, RCPT TO and DATA sent at once, as nodemailer and MTAs
 * do) hears the answers to its batch in one write of ours, not one system call per answer; the
 * answers are the same, in order, and a refusal or a 421 still goes out at once.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Ingress, startIngress } from '../../src/ingress/index.ts';
import { SubmissionQueue } from '../../src/queue/index.ts';
import { openTestDatabase, type TestDatabase } from '../support/databases.ts';
import { type RedisServer, startRedis } from '../support/redis-server.ts';
import { templateMail, testConfig } from './helpers.ts';

/** A raw client: what it sends, and all the server has said so far. */
function rawClient(port: number) {
  const socket = net.createConnection({ port, host: '127.0.0.1' });
  let text = '';
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString('latin1');
  });
  socket.on('error', () => {});
  return {
    write: (data: string) => socket.write(data),
    heard: () => text,
    async waitFor(pattern: RegExp, timeoutMs = 45_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(text)) {
        if (Date.now() > deadline) throw new Error(`never heard ${pattern}; heard: ${text}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    localPort: () => socket.localPort,
    end: () => socket.end(),
  };
}

describe('answers to a pipelined batch', { timeout: 90_000 }, () => {
  let redis: RedisServer;
  let database: TestDatabase;
  let queue: SubmissionQueue;
  let ingress: Ingress;
  /** Writes the ingress made to the socket of the client on this remote port (net.Socket's _write/_writev calls). */
  const writesTo = new Map<number, number>();

  beforeAll(async () => {
    [redis, database] = await Promise.all([startRedis(), openTestDatabase('postgres')]);
    queue = new SubmissionQueue({ kind: 'url', url: redis.url });
    ingress = await startIngress({ config: testConfig({ redisUrl: redis.url }), db: database.db, queue });
    const count = (socket: net.Socket) => {
      if (socket.localPort !== ingress.port || socket.remotePort === undefined) return;
      writesTo.set(socket.remotePort, (writesTo.get(socket.remotePort) ?? 0) + 1);
    };
    const { _write, _writev } = net.Socket.prototype as unknown as {
      _write: (...args: unknown[]) => void;
      _writev: (...args: unknown[]) => void;
    };
    vi.spyOn(net.Socket.prototype as unknown as { _write: typeof _write }, '_write').mockImplementation(
      function (this: net.Socket, ...args: unknown[]) {
        count(this);
        return _write.apply(this, args);
      },
    );
    vi.spyOn(net.Socket.prototype as unknown as { _writev: typeof _writev }, '_writev').mockImplementation(
      function (this: net.Socket, ...args: unknown[]) {
        count(this);
        return _writev.apply(this, args);
      },
    );
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await ingress?.close();
    await queue?.close();
    await database?.close();
    await redis?.stop();
  });

  it('MAIL FROM, RCPT TO and DATA sent at once are answered 250, 250, 354 in one write', async () => {
    const client = rawClient(ingress.port);
    await client.waitFor(/^220 /);
    client.write('EHLO client.isp.example\r\n');
    await client.waitFor(/250 [^\r\n]*\r\n$/);
    const port = client.localPort()!;
    const before = writesTo.get(port) ?? 0;
    const heardBefore = client.heard().length;
    client.write('MAIL FROM:<noc@isp.example>\r\nRCPT TO:<hostmaster@rir.example>\r\nDATA\r\n');
    await client.waitFor(/354 [^\r\n]*\r\n$/);
    expect(client.heard().slice(heardBefore)).toMatch(/^250 [^\r\n]*\r\n250 [^\r\n]*\r\n354 [^\r\n]*\r\n$/);
    expect((writesTo.get(port) ?? 0) - before).toBe(1);

    client.write(`${templateMail().replace(/\r?\n/g, '\r\n')}\r\n.\r\n`);
    await client.waitFor(/250 2\.0\.0 Accepted as S[^\r\n]*\r\n$/);
    client.write('QUIT\r\n');
    await client.waitFor(/221 [^\r\n]*\r\n$/);
    client.end();
  });

  it('a refused recipient in the batch is answered in order, and the connection goes on', async () => {
    const client = rawClient(ingress.port);
    await client.waitFor(/^220 /);
    client.write('EHLO client.isp.example\r\n');
    await client.waitFor(/250 [^\r\n]*\r\n$/);
    const heardBefore = client.heard().length;
    client.write(
      'MAIL FROM:<noc@isp.example>\r\nRCPT TO:<nobody@elsewhere.example>\r\nRCPT TO:<hostmaster@rir.example>\r\nDATA\r\n',
    );
    await client.waitFor(/354 [^\r\n]*\r\n$/);
    expect(client.heard().slice(heardBefore)).toMatch(
      /^250 [^\r\n]*\r\n550 [^\r\n]*\r\n250 [^\r\n]*\r\n354 [^\r\n]*\r\n$/,
    );
    client.write(`${templateMail().replace(/\r?\n/g, '\r\n')}\r\n.\r\n`);
    await client.waitFor(/250 2\.0\.0 Accepted as S[^\r\n]*\r\n$/);
    client.end();
  });
});
