/**
 * A real SMTP server on a free loopback port that catches what the outbox sender delivers.
 * `refuse` decides, per DATA, whether to answer with an error (e.g. 451, then accept); `greet`,
 * `login` and `recipient` do the same for the session's greeting, its AUTH and each RCPT TO.
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
  /** Every connection the sink was opened, refused ones included. */
  readonly connections: number;
  /** The URL with a user and password in it, for a sink that asks for a login (`login`). */
  readonly urlWithLogin: string;
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
  /** Called for each connection with its 1-based number; a code refuses the session at its greeting. */
  readonly greet?: (connection: number) => { code: number; message: string } | undefined;
  /**
   * Offer AUTH (PLAIN, LOGIN, over plain text) and call this for each login with its 1-based
   * number; a code refuses it. Without it the sink offers no AUTH.
   */
  readonly login?: (attempt: number) => { code: number; message: string } | undefined;
  /** Called for each MAIL FROM with its 1-based number; a code refuses the envelope sender. */
  readonly sender?: (attempt: number) => { code: number; message: string } | undefined;
  /** Called for each RCPT TO with the address and its 1-based number; a code refuses that recipient. */
  readonly recipient?: (address: string, attempt: number) => { code: number; message: string } | undefined;
}

function refusal(answer: { code: number; message: string }): SMTPServerError {
  const error: SMTPServerError = new Error(answer.message);
  error.responseCode = answer.code;
  return error;
}

export async function startSmtpSink(options: SinkOptions = {}): Promise<SmtpSink> {
  const accepted: CaughtMail[] = [];
  let attempts = 0;
  let connections = 0;
  let logins = 0;
  let recipients = 0;
  let senders = 0;
  const server = new SMTPServer({
    disabledCommands: options.login ? ['STARTTLS'] : ['AUTH', 'STARTTLS'],
    ...(options.login
      ? { authMethods: ['PLAIN', 'LOGIN'], allowInsecureAuth: true, authOptional: true }
      : {}),
    disableReverseLookup: true,
    logger: false,
    onConnect(_session, callback) {
      connections++;
      const answer = options.greet?.(connections);
      callback(answer ? refusal(answer) : undefined);
    },
    onAuth(auth, _session, callback) {
      const answer = options.login?.(++logins);
      if (answer) callback(refusal(answer));
      else callback(null, { user: auth.username ?? 'relay-user' });
    },
    onMailFrom(_address, _session, callback) {
      const answer = options.sender?.(++senders);
      callback(answer ? refusal(answer) : undefined);
    },
    onRcptTo(address, _session, callback) {
      const answer = options.recipient?.(address.address, ++recipients);
      callback(answer ? refusal(answer) : undefined);
    },
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
        const refused = held ?? options.refuse?.(attempts);
        if (refused) {
          callback(refusal(refused));
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
    urlWithLogin: `smtp://relay-user:relay-secret@127.0.0.1:${port}`,
    accepted,
    get attempts() {
      return attempts;
    },
    get connections() {
      return connections;
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
