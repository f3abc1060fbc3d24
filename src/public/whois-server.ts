/**
 * WHOIS over TCP (RFC 3912): the client sends one line ending in CRLF, we send the answer and
 * close. A line that does not come within the time limit, or is longer than any query, ends the
 * connection with a sentence saying why.
 */
import net from 'node:net';
import type { Executor } from '../db/index.ts';
import { clientKey } from '../ip/index.ts';
import { type Logger, listenFailure } from '../shared/index.ts';
import type { PublicMetrics } from './metrics.ts';
import { limitSentence, type QueryLimiter } from './query-limit.ts';
import { answerWhois, whoisText } from './whois.ts';
import type { WhoisLinks } from './whois-format.ts';
import { MAX_QUERY_LENGTH } from './whois-query.ts';

export interface WhoisServerOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly db: Executor;
  readonly limiter: QueryLimiter;
  readonly metrics: PublicMetrics;
  readonly logger: Logger;
  /** Where RDAP answers, as seen by a client that reached us at `localAddress`. */
  rdapBase(localAddress: string | undefined): string;
  /** How long a client has to send its line (default 10 s). */
  readonly lineTimeoutMs?: number;
}

export interface WhoisServer {
  readonly port: number;
  close(): Promise<void>;
}

/** Connections open at once, all clients together; more are closed at once. */
const MAX_CONNECTIONS = 256;
/**
 * Connections one client (an IPv4 address, an IPv6 client's /64) may hold open at once: a query
 * takes milliseconds, so more is a client holding places, not asking.
 */
const MAX_CONNECTIONS_PER_CLIENT = 10;

export async function startWhoisServer(options: WhoisServerOptions): Promise<WhoisServer> {
  const { db, limiter, metrics, logger } = options;
  const lineTimeoutMs = options.lineTimeoutMs ?? 10_000;
  const sockets = new Set<net.Socket>();
  const perClient = new Map<string, number>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    const client = clientKey(socket.remoteAddress);
    perClient.set(client, (perClient.get(client) ?? 0) + 1);
    // A connection counts against its client while it waits for the line or the answer: once
    // answered it is closing, and a client asking again at once must not find it still counted.
    let counted = true;
    const release = () => {
      if (!counted) return;
      counted = false;
      const left = (perClient.get(client) ?? 1) - 1;
      if (left > 0) perClient.set(client, left);
      else perClient.delete(client);
    };
    socket.on('close', () => {
      sockets.delete(socket);
      release();
    });
    socket.on('error', () => socket.destroy());
    const chunks: Buffer[] = [];
    let received = 0;
    let answered = false;
    // From the connection, not from the last byte: a client trickling its line a byte at a
    // time must not hold the place for longer than one whole line may take.
    const deadline = setTimeout(() => {
      if (!answered) finish(whoisText([], `No query line within ${Math.round(lineTimeoutMs / 1000)} s.`));
    }, lineTimeoutMs);
    deadline.unref();
    function finish(text: string) {
      answered = true;
      clearTimeout(deadline);
      release();
      // Whatever else the client sends is read and dropped: closing with unread bytes would
      // reset the connection, and the client might never read the answer.
      socket.removeAllListeners('data');
      socket.on('data', () => {});
      socket.end(text);
    }
    if ((perClient.get(client) ?? 0) > MAX_CONNECTIONS_PER_CLIENT) {
      metrics.queryAnswered('whois', 'other', 'rate_limited');
      finish(
        whoisText(
          [],
          `E_QUERY_RATE: more than ${MAX_CONNECTIONS_PER_CLIENT} connections at once from your address.`,
        ),
      );
      return;
    }
    socket.on('data', (chunk: Buffer) => {
      if (answered) return;
      chunks.push(chunk);
      received += chunk.length;
      const text = Buffer.concat(chunks).toString('utf8');
      const end = text.search(/\r?\n/);
      if (end < 0 && received <= MAX_QUERY_LENGTH * 4 + 2) return;
      const line = end < 0 ? text : text.slice(0, end);
      answered = true;
      socket.removeAllListeners('data');
      socket.on('data', () => {});
      answer(line, socket.remoteAddress, socket.localAddress).then(finish, (error: unknown) => {
        logger.error({ err: error }, 'WHOIS query failed');
        metrics.queryAnswered('whois', 'other', 'error');
        finish(whoisText([], 'The registry could not answer just now; try again shortly.'));
      });
    });
  });
  server.maxConnections = MAX_CONNECTIONS;

  async function answer(
    line: string,
    remote: string | undefined,
    local: string | undefined,
  ): Promise<string> {
    if (line.length > MAX_QUERY_LENGTH) {
      metrics.queryAnswered('whois', 'other', 'bad_query');
      return whoisText([], `Query not understood: a query is at most ${MAX_QUERY_LENGTH} characters.`);
    }
    const allowance = await limiter.admit(remote);
    if (!allowance.allowed) {
      metrics.queryAnswered('whois', 'other', 'rate_limited');
      return whoisText([], `${limitSentence(allowance)}.`);
    }
    const links: WhoisLinks = { rdapBase: options.rdapBase(local) };
    const result = await answerWhois(db, line, links);
    metrics.queryAnswered('whois', result.kind, result.outcome);
    return result.text;
  }

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: options.host, port: options.port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    throw listenFailure(
      {
        code: 'E_WHOIS_LISTEN',
        what: 'the public WHOIS service',
        host: options.host,
        port: options.port,
        variables: 'PUBLIC_HOST/WHOIS_PORT',
      },
      error,
    );
  }
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}
