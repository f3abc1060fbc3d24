/**
 * A real SMTP server on a free loopback port that catches what the outbox sender delivers.
 * `refuse` decides, per DATA, whether to answer with an error (e.g. 451, then accept).
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerError } from 'smtp-server';

export interface CaughtMail {
  /** '' for the null sender `MAIL FROM:<>`. */
  readonly mailFrom: string;
  readonly rcptTo: readonly string[];
  readonly raw: string;
}

export interface SmtpSink {
  readonly url: string;
  /** Accepted messages, in arrival order. */
  readonly accepted: CaughtMail[];
  /** Every DATA the sink saw, refused ones included. */
  readonly attempts: number;
  /** Resolves once `count` messages were accepted. */
  waitFor(count: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export interface SinkOptions {
  /** Called for each DATA with its 1-based number; return a code to refuse, undefined to accept. */
  readonly refuse?: (attempt: number) => { code: number; message: string } | undefined;
  /** Wait this long before answering each DATA, like a busy relay. */
  readonly delayMs?: number;
  /**
   * Awaited after the whole DATA arrived, before it is answered: a test does its harm in between.
   * A code it returns refuses the message, as `refuse` does.
   */
  readonly hold?: (raw: string) => Promise<{ code: number; message: string } | undefined>;
}

export async function startSmtpSink(options: SinkOptions = {}): Promise<SmtpSink> {
  const accepted: CaughtMail[] = [];
  let attempts = 0;
  const server = new SMTPServer({
    disabledCommands: ['AUTH', 'STARTTLS'],
    disableReverseLookup: true,
    logger: false,
    onData(stream, session, callback) {
      const envelope = session.envelope;
      const mailFrom = envelope.mailFrom ? envelope.mailFrom.address : '';
      const rcptTo = envelope.rcptTo.map((r) => r.address);
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', async () => {
        if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
        const held = await options.hold?.(Buffer.concat(chunks).toString('utf8'));
        attempts++;
        const refusal = held ?? options.refuse?.(attempts);
        if (refusal) {
          const error: SMTPServerError = new Error(refusal.message);
          error.responseCode = refusal.code;
          callback(error);
          return;
        }
        accepted.push({ mailFrom, rcptTo, raw: Buffer.concat(chunks).toString('utf8') });
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  // smtp-server emits every client's socket error on the server: a sender that dies mid-session
  // (a daemon killed by a crash test) drops its connection, and a relay shrugs that off.
  server.on('error', () => {});
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    accepted,
    get attempts() {
      return attempts;
    },
    async waitFor(count, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      while (accepted.length < count) {
        if (Date.now() > deadline) throw new Error(`sink got ${accepted.length} of ${count} messages`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
