/**
 * The benchmark's two ends of the wire: a nodemailer client with a connection pool that sends
 * the bulk messages (as fast as it can, or paced at a fixed rate), and an `smtp-server` sink that
 * catches the replies. Times come from one clock (performance.now) in this process.
 *
 * "End of DATA" is when nodemailer has read the last byte of the message stream into the SMTP
 * connection; "accepted" is the 250; "replied" is the end of the reply's DATA at the sink.
 */
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import nodemailer from 'nodemailer';
import { SMTPServer } from 'smtp-server';

export interface Timing {
  readonly messageId: string;
  readonly templates: number;
  sent?: number;
  endOfData?: number;
  accepted?: number;
  replied?: number;
  error?: string;
}

export interface OutgoingMessage {
  readonly messageId: string;
  readonly raw: string;
  readonly templates: number;
}

export interface ReplySink {
  readonly port: number;
  /** Reply arrival times by the Message-ID they answer (In-Reply-To). */
  readonly replies: Map<string, number>;
  /** Every mail caught (replies and notices). */
  readonly caught: () => number;
  waitForReplies(messageIds: readonly string[], timeoutMs: number): Promise<void>;
  /**
   * Waits for the replies like waitForReplies, but a wait that runs out answers how many are still
   * missing instead of failing the run: until `timeoutMs`, or sooner once none arrived for `stallMs`.
   * Says how far it got every `progressEveryMs`.
   */
  repliesWithin(
    messageIds: readonly string[],
    limits: ReplyWaitLimits,
  ): Promise<{ readonly missing: number }>;
  close(): Promise<void>;
}

export interface ReplyWaitLimits {
  readonly timeoutMs: number;
  readonly stallMs: number;
  readonly progressEveryMs: number;
  readonly progress: (arrived: number, wanted: number) => void;
}

/** Catches replies; only the head is looked at (In-Reply-To), the rest is discarded. */
export async function startReplySink(): Promise<ReplySink> {
  const replies = new Map<string, number>();
  let caught = 0;
  const server = new SMTPServer({
    disabledCommands: ['AUTH', 'STARTTLS'],
    disableReverseLookup: true,
    logger: false,
    maxClients: 1000,
    onData(stream, _session, callback) {
      let head = '';
      stream.on('data', (chunk: Buffer) => {
        if (head.length < 8192) head += chunk.toString('latin1');
      });
      stream.on('end', () => {
        const at = performance.now();
        caught++;
        const inReplyTo = /^In-Reply-To:\s*(<[^>]+>)/im.exec(head)?.[1];
        if (inReplyTo && !replies.has(inReplyTo)) replies.set(inReplyTo, at);
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
  // smtp-server emits a client's dropped connection on the server; the catcher shrugs it off.
  server.on('error', () => {});
  return {
    port: (server.server.address() as AddressInfo).port,
    replies,
    caught: () => caught,
    async waitForReplies(ids, timeoutMs) {
      const deadline = performance.now() + timeoutMs;
      while (ids.some((id) => !replies.has(id))) {
        if (performance.now() > deadline) {
          const missing = ids.filter((id) => !replies.has(id)).length;
          throw new Error(`${missing} of ${ids.length} replies did not arrive within ${timeoutMs} ms`);
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async repliesWithin(ids, limits) {
      const began = performance.now();
      const arrivedCount = () => ids.reduce((n, id) => n + (replies.has(id) ? 1 : 0), 0);
      let arrived = arrivedCount();
      let lastArrival = began;
      let lastProgress = began;
      while (arrived < ids.length) {
        const now = performance.now();
        if (now - began > limits.timeoutMs || now - lastArrival > limits.stallMs) break;
        if (now - lastProgress >= limits.progressEveryMs) {
          limits.progress(arrived, ids.length);
          lastProgress = now;
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
        const count = arrivedCount();
        if (count > arrived) lastArrival = performance.now();
        arrived = count;
      }
      return { missing: ids.length - arrived };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface SendOptions {
  readonly port: number;
  /** Pool size (parallel SMTP connections). */
  readonly connections: number;
  /** Messages per second, evenly spaced; unset = all at once (the pool queues them). */
  readonly ratePerSecond?: number;
}

/** Sends every message; resolves when every one has been answered (250 or an error). */
export async function sendAll(messages: readonly OutgoingMessage[], options: SendOptions): Promise<Timing[]> {
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port: options.port,
    secure: false,
    ignoreTLS: true,
    pool: true,
    maxConnections: options.connections,
    maxMessages: Number.POSITIVE_INFINITY,
  });
  const start = performance.now();
  const timings = messages.map((m): Timing => ({ messageId: m.messageId, templates: m.templates }));
  try {
    await Promise.all(
      messages.map(async (message, i) => {
        const timing = timings[i]!;
        if (options.ratePerSecond) {
          const due = start + (i * 1000) / options.ratePerSecond;
          const wait = due - performance.now();
          if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        }
        const raw = Readable.from([Buffer.from(message.raw)]);
        raw.once('end', () => {
          timing.endOfData = performance.now();
        });
        timing.sent = performance.now();
        try {
          await transport.sendMail({
            envelope: { from: 'noc@demo-isp.example', to: ['hostmaster@localhost'] },
            raw,
          });
          timing.accepted = performance.now();
          timing.endOfData ??= timing.accepted;
        } catch (error) {
          timing.error = (error as Error).message;
        }
      }),
    );
  } finally {
    transport.close();
  }
  return timings;
}
