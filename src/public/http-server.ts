/**
 * The public HTTP listener (RDAP_PORT): a list of route plugins, each with its own prefix, so
 * another public page (a POC's validation link, say) is one more entry in `PublicRoute[]`.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import {
  ADDRESS_BITS,
  clientKey,
  contains,
  type IpRange,
  parseAddress,
  peerAddress,
  unmapIpv4,
} from '../ip/index.ts';
import { listenFailure } from '../shared/index.ts';
import { networkKey } from './networks.ts';
import { errorObject, RDAP_MEDIA_TYPE } from './rdap.ts';

/** One plugin of the public listener, registered under `prefix` (none: at the root). */
export interface PublicRoute {
  readonly prefix?: string;
  register(app: FastifyInstance): Promise<void>;
}

export interface PublicHttpOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly routes: readonly PublicRoute[];
  /** Proxies whose X-Forwarded-For names the client (`request.ip`); empty: the socket's peer. */
  readonly trustProxy: readonly string[];
  /** Tests: other bounds than HTTP_CONNECTION_LIMITS. */
  readonly connectionLimits?: Partial<ConnectionLimits>;
}

export interface ConnectionLimits {
  readonly perClient: number;
  readonly perNetwork: number;
  readonly all: number;
}

export interface PublicHttpServer {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Connections one client (an IPv4 address, an IPv6 /64) and one network (an IPv4 /24, an IPv6
 * /48) may hold open at once, and all clients together: a lookup takes milliseconds and a
 * browser opens six, so more is a client holding sockets, not asking. Without a bound, idle
 * connections (each kept up to the request deadline) from one address could use up the
 * process's file descriptors, and with them WHOIS and the database's connections.
 */
export const HTTP_CONNECTION_LIMITS: ConnectionLimits = { perClient: 32, perNetwork: 128, all: 4096 };

export async function startPublicHttp(options: PublicHttpOptions): Promise<PublicHttpServer> {
  // Nothing here is behind a sign-in; a query is a URL, never a body. A request must arrive
  // whole within 10 s (Node's default is 300 s: long enough for slow clients to hold sockets),
  // checked every second (Node checks every 30 s, so an idle connection stayed 30-40 s), and a
  // kept-alive connection goes after 5 s without a request (fastify's default is 72 s).
  const app = Fastify({
    logger: false,
    bodyLimit: 1024,
    requestTimeout: 10_000,
    keepAliveTimeout: 5_000,
    http: { connectionsCheckingInterval: 1_000, headersTimeout: 10_000 },
    trustProxy: options.trustProxy.length > 0 ? [...options.trustProxy] : false,
    routerOptions: { maxParamLength: 256 },
    // A URL fastify cannot read (`/rdap/entity/%ED%A0%80`) never reaches a route: under /rdap/ it
    // is answered as any bad RDAP request is, not with fastify's own JSON.
    frameworkErrors: (error, request, reply) => unreadable(error, request.url, reply as FastifyReply),
  });
  const limits: ConnectionLimits = { ...HTTP_CONNECTION_LIMITS, ...options.connectionLimits };
  // A trusted proxy's connections carry everyone's requests: the proxy bounds its clients. Any
  // other peer is a client, whether or not a proxy is configured (a listener behind a proxy is
  // often reachable past it too), and is held to its share.
  boundConnections(app.server, limits, trustedProxy(options.trustProxy));
  makeRoomFromIdle(app.server, limits.all);
  // A bound whatever the bookkeeping says (connections closing this moment still count here).
  app.server.maxConnections = limits.all + 256;
  // Any route without its own handler (the blank forms, the root, a plugin added later): a
  // fault under it is a plain "try again", never the error's message (SQL, parameters, internal
  // addresses are nobody's business on the public listener). RDAP and the validation page
  // answer in their own formats the same way.
  app.setErrorHandler((error, _request, reply) => plainError(error, reply));
  for (const route of options.routes) {
    await app.register(async (scope) => route.register(scope), route.prefix ? { prefix: route.prefix } : {});
  }
  app.get('/', async (_request, reply) =>
    reply
      .type('text/plain; charset=utf-8')
      .send('RDAP: /rdap/help (e.g. /rdap/ip/192.0.2.1, /rdap/entity/HANDLE)\nBlank forms: /templates/\n'),
  );
  try {
    const address = await app.listen({ host: options.host, port: options.port });
    return { port: Number(new URL(address).port), close: () => app.close() };
  } catch (error) {
    await app.close();
    throw listenFailure(
      {
        code: 'E_RDAP_LISTEN',
        what: 'the public RDAP and blank-form service',
        host: options.host,
        port: options.port,
        variables: 'PUBLIC_HOST/RDAP_PORT',
      },
      error,
    );
  }
}

/** Whether a peer is one of the proxies (`192.0.2.7`, `10.0.0.0/8`, `::1`) whose X-Forwarded-For we believe. */
function trustedProxy(proxies: readonly string[]): (remoteAddress: string | undefined) => boolean {
  // As X-Forwarded-For's reader (proxy-addr) takes them: `10.1.2.3/8` is 10.0.0.0/8.
  const ranges = proxies.flatMap((text): IpRange[] => {
    const [base = '', length] = text.split('/');
    const address = parseAddress(base);
    if (!address) return [];
    const bits = ADDRESS_BITS[address.version];
    const hostBits = BigInt(bits - Math.min(bits, length === undefined ? bits : Number(length)));
    const host = (1n << hostBits) - 1n;
    return [unmapIpv4({ version: address.version, start: address.value & ~host, end: address.value | host })];
  });
  return (remoteAddress) => {
    const peer = remoteAddress ? peerAddress(remoteAddress) : undefined;
    if (!peer) return false;
    const at = { version: peer.version, start: peer.value, end: peer.value };
    return ranges.some((range) => contains(range, at));
  };
}

/**
 * Refuses a connection past its client's or its network's share, with a 429 saying why; a
 * trusted proxy's connections are not counted.
 */
function boundConnections(
  server: Server,
  limits: ConnectionLimits,
  isProxy: (remoteAddress: string | undefined) => boolean,
): void {
  const open = new Map<string, number>();
  const count = (key: string, by: number) => {
    const left = (open.get(key) ?? 0) + by;
    if (left > 0) open.set(key, left);
    else open.delete(key);
    return left;
  };
  server.on('connection', (socket: Socket) => {
    if (isProxy(socket.remoteAddress)) return;
    const keys = [`client ${clientKey(socket.remoteAddress)}`, `network ${networkKey(socket.remoteAddress)}`];
    const [client, network] = keys.map((key) => count(key, 1)) as [number, number];
    socket.once('close', () => {
      for (const key of keys) count(key, -1);
    });
    const over =
      client > limits.perClient
        ? `more than ${limits.perClient} connections at once from your address`
        : network > limits.perNetwork
          ? `more than ${limits.perNetwork} connections at once from your network (${networkKey(socket.remoteAddress)})`
          : undefined;
    if (over) refuse(socket, 429, 'Too Many Requests', `E_QUERY_RATE: ${over}.`);
  });
}

/** Answers a connection with a status line and a sentence, then closes it. */
function refuse(socket: Socket, status: number, title: string, sentence: string): void {
  const body = `${sentence}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${title}\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Cache-Control: no-store\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
  setTimeout(() => socket.destroy(), 1_000).unref();
}

/**
 * With `all` connections open, a new one takes the place of the connection idle the longest (no
 * request yet, or kept alive after its answers): otherwise clients holding idle connections from
 * enough networks would keep everyone else out, as they did the WHOIS listener. Only when every
 * connection is a request being answered is the newcomer turned away (503).
 */
function makeRoomFromIdle(server: Server, all: number): void {
  /** Idle connections, idle the longest first (a Set keeps insertion order). */
  const idle = new Set<Socket>();
  const inFlight = new WeakMap<Socket, number>();
  let open = 0;
  server.on('connection', (socket: Socket) => {
    open++;
    socket.once('close', () => {
      open--;
      idle.delete(socket);
    });
    if (open > all) {
      const oldest = idle.values().next().value;
      if (oldest) {
        idle.delete(oldest);
        oldest.destroy();
      } else {
        refuse(
          socket,
          503,
          'Service Unavailable',
          'Every connection is busy answering; try again in a moment.',
        );
        return;
      }
    }
    idle.add(socket);
  });
  server.on('request', (request, response) => {
    const socket = request.socket;
    idle.delete(socket);
    inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1);
    response.once('close', () => {
      const left = (inFlight.get(socket) ?? 1) - 1;
      inFlight.set(socket, left);
      if (left === 0 && !socket.destroyed) idle.add(socket);
    });
  });
}

/** A request fastify could not read (a URL with bytes that are not UTF-8): under /rdap/ an RDAP error object. */
function unreadable(error: FastifyError, url: string, reply: FastifyReply): FastifyReply {
  const status = error.statusCode && error.statusCode < 500 ? error.statusCode : 400;
  const sentence = 'The request could not be read (a URL with bytes that are not UTF-8?).';
  reply.code(status).header('cache-control', 'no-store').header('access-control-allow-origin', '*');
  if (url.startsWith('/rdap/')) {
    return reply.type(RDAP_MEDIA_TYPE).send(JSON.stringify(errorObject(status, 'Bad Request', sentence)));
  }
  return reply.type('text/plain; charset=utf-8').send(`${sentence}\n`);
}

/** A public route's fault, in plain text: 4xx say the request was not understood, 5xx to try again (503). */
function plainError(error: unknown, reply: FastifyReply): FastifyReply {
  const status = (error as { statusCode?: number }).statusCode;
  reply.type('text/plain; charset=utf-8');
  if (status !== undefined && status >= 400 && status < 500) {
    return reply.code(status).send('The request could not be read.\n');
  }
  return reply
    .code(503)
    .header('retry-after', '60')
    .send('The registry could not answer just now; try again shortly.\n');
}
