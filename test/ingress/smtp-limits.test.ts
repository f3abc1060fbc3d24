/**
 * Connection-level rules of the ingress: STARTTLS only with the operator's own certificate,
 * a cap on messages per connection, on recipients per message, and no AUTH (nobody logs in here).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Ingress, startIngress } from '../../src/ingress/index.ts';
import { SubmissionQueue } from '../../src/queue/index.ts';
import { openTestDatabase, type TestDatabase } from '../support/databases.ts';
import { type RedisServer, startRedis } from '../support/redis-server.ts';
import { sendOverSmtp, templateMail, testConfig } from './helpers.ts';

/** Speaks raw SMTP: sends each line, collects every reply. */
async function converse(port: number, lines: readonly string[]): Promise<string[]> {
  const socket = net.createConnection({ port, host: '127.0.0.1' });
  let buffer = '';
  const replies: string[] = [];
  const next = () =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const match = /(?:^|\r\n)(\d{3}) [^\r\n]*\r\n/.exec(buffer);
        if (!match) return;
        const reply = buffer.slice(0, match.index + match[0].length);
        buffer = buffer.slice(reply.length);
        socket.off('data', onData);
        resolve(reply.trim());
      };
      const onData = (chunk: Buffer) => {
        buffer += chunk.toString();
        check();
      };
      socket.on('data', onData);
      socket.once('error', reject);
      check();
    });
  replies.push(await next());
  for (const line of lines) {
    socket.write(`${line}\r\n`);
    replies.push(await next());
  }
  socket.end();
  return replies;
}

describe('SMTP connection rules', () => {
  let redis: RedisServer;
  let database: TestDatabase;
  let queue: SubmissionQueue;
  let plain: Ingress;
  let withTls: Ingress;
  const certDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hm-tls-'));

  beforeAll(async () => {
    [redis, database] = await Promise.all([startRedis(), openTestDatabase('postgres')]);
    queue = new SubmissionQueue({ kind: 'url', url: redis.url });
    const keyPath = path.join(certDir, 'key.pem');
    const certPath = path.join(certDir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        keyPath,
        '-out',
        certPath,
        '-subj',
        '/CN=localhost',
        '-days',
        '1',
      ],
      { stdio: 'ignore' },
    );
    const config = testConfig({
      redisUrl: redis.url,
      limits: { perConnectionMessages: 2, maxRecipients: 2 },
    });
    plain = await startIngress({ config, db: database.db, queue });
    withTls = await startIngress({
      config: { ...config, smtp: { ...config.smtp, tlsKeyPath: keyPath, tlsCertPath: certPath } },
      db: database.db,
      queue,
    });
  });
  afterAll(async () => {
    await Promise.all([plain?.close(), withTls?.close()]);
    await queue?.close();
    await database?.close();
    await redis?.stop();
    fs.rmSync(certDir, { recursive: true, force: true });
  });

  it('offers STARTTLS only with a configured certificate, and never AUTH', async () => {
    const [, ehloPlain, starttlsPlain, authPlain] = await converse(plain.port, [
      'EHLO client.example',
      'STARTTLS',
      'AUTH PLAIN AGxvZ2luAHNlY3JldA==',
    ]);
    expect(ehloPlain).toMatch(/SIZE \d+/);
    expect(ehloPlain).not.toMatch(/STARTTLS|AUTH/);
    expect(starttlsPlain).toMatch(/^5\d\d /);
    expect(authPlain).toMatch(/^5\d\d /);

    const [, ehloTls] = await converse(withTls.port, ['EHLO client.example']);
    expect(ehloTls).toMatch(/STARTTLS/);
    const transport = nodemailer.createTransport({
      host: '127.0.0.1',
      port: withTls.port,
      secure: false,
      requireTLS: true,
      tls: { rejectUnauthorized: false },
    });
    try {
      const info = await transport.sendMail({
        envelope: { from: 'noc@isp.example', to: ['hostmaster@rir.example'] },
        raw: templateMail(),
      });
      expect(String(info.response)).toMatch(/^250 2\.0\.0 Accepted as S/);
    } finally {
      transport.close();
    }
  });

  it('asks a client to reconnect after the per-connection message cap', async () => {
    const transport = nodemailer.createTransport({
      host: '127.0.0.1',
      port: plain.port,
      secure: false,
      ignoreTLS: true,
      pool: true,
      maxConnections: 1,
      maxMessages: 100,
    });
    const codes: number[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        try {
          await transport.sendMail({
            envelope: { from: `cap${i}@isp.example`, to: ['hostmaster@rir.example'] },
            raw: templateMail({ from: `cap${i}@isp.example` }),
          });
          codes.push(250);
        } catch (error) {
          codes.push((error as { responseCode?: number }).responseCode ?? 0);
          expect((error as { response?: string }).response).toMatch(/^451 4\.7\.1 .*reconnect/);
        }
      }
    } finally {
      transport.close();
    }
    expect(codes).toEqual([250, 250, 451]);
    // A new connection is welcome.
    expect((await sendOverSmtp(plain.port, templateMail())).code).toBe(250);
  });

  it('takes at most the configured number of recipients', async () => {
    const replies = await converse(plain.port, [
      'EHLO client.example',
      'MAIL FROM:<noc@isp.example>',
      'RCPT TO:<hostmaster@rir.example>',
      'RCPT TO:<registrations@rir.example>',
      'RCPT TO:<HOSTMASTER2@rir.example>',
    ]);
    expect(replies[3]).toMatch(/^250 /);
    expect(replies[4]).toMatch(/^250 /);
    expect(replies[5]).toMatch(/^452 /);
  });
});
