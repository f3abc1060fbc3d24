/**
 * WHOIS over TCP (RFC 3912): the client sends one line ending in CRLF (or closes its side after
 * the query), we send the answer and close. A line that does not come within the time limit, or
 * is longer than any query, ends the connection with a sentence saying why. Who may hold how
 * many connections, and who goes when they are all taken: whois-places.ts.
 */
import net from 'node:net';
import type { Executor } from '../db/index.ts';
import { type Logger, listenFailure } from '../shared/index.ts';
import type { PublicMetrics } from './metrics.ts';
import { limitSentence, type QueryLimiter } from './query-limit.ts';
import { answerWhois, whoisText } from './whois.ts';
import type { WhoisLinks } from './whois-format.ts';
import { DEFAULT_PLACE_LIMITS, type Place, type PlaceLimits, WhoisPlaces } from './whois-places.ts';
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
  /** Tests: other limits than DEFAULT_PLACE_LIMITS. */
  readonly limits?: Partial<Omit<PlaceLimits, 'lineTimeoutMs'>>;
}

export interface WhoisServer {
  readonly port: number;
  close(): Promise<void>;
}

/** After the answer, how long the client has to read it and close before the socket is closed. */
const LINGER_MS = 5_000;

export async function startWhoisServer(options: WhoisServerOptions): Promise<WhoisServer> {
  const { db, limiter, metrics, logger } = options;
  const limits: PlaceLimits = {
    ...DEFAULT_PLACE_LIMITS,
    ...options.limits,
    lineTimeoutMs: options.lineTimeoutMs ?? 10_000,
  };
  const places = new WhoisPlaces(limits);
  const sockets = new Set<net.Socket>();
  /** How to close each place's connection when it must make room. */
  const dropOf = new Map<Place, () => void>();
  // Half-open: a client may send its query and close its side (`printf x | nc -N`); the answer
  // still goes back on ours.
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.on('error', () => socket.destroy());
    const arrival = places.arrive(socket.remoteAddress, Date.now());
    for (const place of arrival.evict) {
      const drop = dropOf.get(place);
      dropOf.delete(place);
      drop?.();
    }
    const chunks: Buffer[] = [];
    let received = 0;
    let answered = false;
    let deadline: NodeJS.Timeout | undefined;
    const place = arrival.admitted ? arrival.place : undefined;
    socket.on('close', () => {
      sockets.delete(socket);
      clearTimeout(deadline);
      if (place) {
        dropOf.delete(place);
        places.leave(place);
      }
    });
    /** Stops reading: whatever else the client sends is read and dropped (closing with unread
     * bytes would reset the connection, and the client might never read the answer). */
    function stopReading() {
      answered = true;
      clearTimeout(deadline);
      socket.removeAllListeners('data');
      socket.removeAllListeners('end');
      socket.on('data', () => {});
    }
    function finish(text: string) {
      stopReading();
      // Once answered the place is free: a client asking again at once must not find it still held.
      if (place) places.answeredTo(place, Date.now());
      socket.end(text);
      // A client that neither reads nor closes must not keep the socket.
      setTimeout(() => socket.destroy(), LINGER_MS).unref();
    }
    if (!arrival.admitted) {
      metrics.queryAnswered('whois', 'other', 'rate_limited');
      finish(whoisText([], `${arrival.reason}.`));
      return;
    }
    dropOf.set(arrival.place, () => {
      if (answered && arrival.place.phase === 'answered') {
        socket.destroy();
        return;
      }
      stopReading();
      metrics.queryAnswered('whois', 'other', 'rate_limited');
      socket.end(whoisText([], 'Closed to make room for others: no query line came.'));
      setTimeout(() => socket.destroy(), 1_000).unref();
    });
    // From the connection, not from the last byte: a client trickling its line a byte at a
    // time must not hold the place for longer than one whole line may take.
    deadline = setTimeout(() => {
      if (!answered)
        finish(whoisText([], `No query line within ${Math.round(arrival.lineTimeoutMs / 1000)} s.`));
    }, arrival.lineTimeoutMs);
    deadline.unref();
    const ask = (line: string) => {
      stopReading();
      places.asking(arrival.place);
      answer(line, socket.remoteAddress, socket.localAddress).then(finish, (error: unknown) => {
        logger.error({ err: error }, 'WHOIS query failed');
        metrics.queryAnswered('whois', 'other', 'error');
        finish(whoisText([], 'The registry could not answer just now; try again shortly.'));
      });
    };
    socket.on('data', (chunk: Buffer) => {
      if (answered) return;
      chunks.push(chunk);
      received += chunk.length;
      const text = Buffer.concat(chunks).toString('utf8');
      // CR LF, LF, or a CR alone (old Macs' and some terminals' line end): the query is before it.
      const end = text.search(/[\r\n]/);
      if (end < 0 && received <= MAX_QUERY_LENGTH * 4 + 2) return;
      ask(end < 0 ? text : text.slice(0, end));
    });
    // The client closed its side without a line end: what it sent is its query.
    socket.on('end', () => {
      if (answered) return;
      if (received > 0) ask(Buffer.concat(chunks).toString('utf8'));
      else {
        // Connected and left without a word (a port check): nothing to answer.
        stopReading();
        socket.end();
      }
    });
  });
  // A bound on sockets whatever the bookkeeping says: places for unanswered connections, as
  // many answered ones, and room for those closing this moment.
  server.maxConnections = limits.places * 2 + 64;

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
