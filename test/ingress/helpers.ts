/**
 * Shared by the ingress tests: a Config pointing at test servers, a message the way a customer's
 * mail client would write it, and a real SMTP client (nodemailer) that reports the server's answer.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import nodemailer from 'nodemailer';
import { submitCommand } from '../../src/commands/submit.ts';
import { type Config, type DatabaseTarget, type Limits, loadConfig } from '../../src/config/index.ts';
import { openDatabase } from '../../src/db/index.ts';
import { startIngress } from '../../src/ingress/index.ts';
import { SubmissionQueue } from '../../src/queue/index.ts';
import { commandOutput } from '../support/command-output.ts';
import { pgliteSnapshot } from '../support/databases.ts';

export function testConfig(options: {
  redisUrl: string;
  database?: DatabaseTarget;
  limits?: Partial<Limits>;
  smtpPort?: number;
  dataDir?: string;
  /** DRY_RUN_ADDRESS. */
  dryRunAddresses?: readonly string[];
}): Config {
  // With REDIS_URL and a database given, nothing is written under DATA_DIR: no directory is made.
  const dataDir = options.dataDir ?? path.join(os.tmpdir(), 'hm-ingress-unused');
  const base = loadConfig({
    DATA_DIR: dataDir,
    REDIS_URL: options.redisUrl,
    HOSTMASTER_ADDRESSES: 'hostmaster@rir.example,Registrations@rir.example',
    ...(options.dryRunAddresses ? { DRY_RUN_ADDRESS: options.dryRunAddresses.join(',') } : {}),
  });
  return {
    ...base,
    smtp: { ...base.smtp, port: options.smtpPort ?? 0 },
    ...(options.database ? { database: options.database } : {}),
    limits: { ...base.limits, ...options.limits },
  };
}

export function templateMail(
  options: { from?: string; subject?: string; messageId?: string; body?: string } = {},
): string {
  const messageId = options.messageId ?? `<${randomBytes(8).toString('hex')}@isp.example>`;
  return [
    `From: Network Operations <${options.from ?? 'noc@isp.example'}>`,
    'To: hostmaster@rir.example',
    `Subject: ${options.subject ?? 'REASSIGN SIMPLE 192.0.2.0/29'}`,
    `Message-ID: ${messageId}`,
    'Date: Mon, 02 Mar 2026 10:00:00 +0000',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    options.body ??
      [
        'Template: ARIN-REASSIGN-SIMPLE-5.0',
        '** As of March 2026',
        '01. Registration Action (N,M, or R): N',
        '03. Network Address: 192.0.2.0/29',
        'END OF FILE',
      ].join('\r\n'),
    '',
  ].join('\r\n');
}

export interface SmtpAnswer {
  readonly code: number;
  readonly text: string;
  /** The command a refusal answered ('MAIL FROM', 'RCPT TO', 'DATA'...), as nodemailer reports it. */
  readonly command?: string;
}

/** Sends one message over real SMTP and returns the server's final answer, success or not. */
export async function sendOverSmtp(
  port: number,
  raw: string | Buffer,
  envelope: { from?: string; to?: string[] } = {},
  /** The loopback address to send from (all of 127/8 is local on Linux): another client to the server. */
  localAddress?: string,
): Promise<SmtpAnswer> {
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port,
    secure: false,
    ignoreTLS: true,
    ...(localAddress ? { localAddress } : {}),
  });
  try {
    const info = await transport.sendMail({
      envelope: { from: envelope.from ?? 'noc@isp.example', to: envelope.to ?? ['hostmaster@rir.example'] },
      raw,
    });
    const response = String(info.response);
    return { code: Number(response.slice(0, 3)), text: response.slice(4) };
  } catch (error) {
    const { responseCode, response, command } = error as {
      responseCode?: number;
      response?: string;
      command?: string;
    };
    if (responseCode === undefined) throw error;
    return { code: responseCode, text: String(response ?? '').slice(4), ...(command ? { command } : {}) };
  } finally {
    transport.close();
  }
}

export function submissionIdOf(answer: SmtpAnswer): string {
  const id = /Accepted as (S\w+)/.exec(answer.text)?.[1];
  if (!id) throw new Error(`not accepted: ${answer.code} ${answer.text}`);
  return id;
}

/** `hostmasterd submit` run in this process with `input` on its stdin: its exit code and output. */
export async function runSubmit(
  config: Config,
  input: string | Buffer,
  args: string[] = [],
): Promise<{ readonly code: number; readonly stdout: string; readonly stderr: string }> {
  const io = commandOutput();
  const code = await submitCommand(args, {
    config,
    stdout: io.stdout,
    stderr: io.stderr,
    stdin: Readable.from([Buffer.from(input)]),
  });
  return { code, ...io.written() };
}

/** An ingress as the running embedded daemon has it: holding DATA_DIR's PGlite, listening for SMTP. */
export interface EmbeddedIngress {
  /** The daemon's settings, its SMTP port the one it listens on. */
  readonly config: Config;
  readonly queue: SubmissionQueue;
  close(): Promise<void>;
}

export async function startEmbeddedIngress(dataDir: string, redisUrl: string): Promise<EmbeddedIngress> {
  const base = loadConfig({ DATA_DIR: dataDir, HOSTMASTER_ADDRESSES: 'hostmaster@rir.example' });
  // A migrated snapshot: migrating a new PGlite directory costs seconds.
  const db = await openDatabase(base.database, { migrate: false, pgliteSnapshot: pgliteSnapshot() });
  const queue = new SubmissionQueue({ kind: 'url', url: redisUrl });
  const ingress = await startIngress({
    config: { ...base, smtp: { ...base.smtp, port: 0 } },
    db: db.db,
    queue,
  });
  return {
    config: { ...base, smtp: { ...base.smtp, port: ingress.port } },
    queue,
    close: async () => {
      await ingress.close();
      await queue.close();
      await db.close();
    },
  };
}
