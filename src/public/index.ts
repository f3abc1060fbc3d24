/**
 * The public room: what anyone may look up. WHOIS over TCP (RFC 3912) and RDAP over HTTP
 * (RFC 9082/9083, under /rdap/), both answered from the registry's tables as templates left
 * them, with the blank forms under /templates/ and a POC's validation link (/validate/TOKEN, the
 * validation room's page) on the same HTTP listener. Lookups write nothing; the validation page's
 * confirm button is the one thing here that changes the registry. The `public` role of
 * `hostmasterd start` runs it.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Redis } from 'ioredis';
import type { PublicService } from '../config/index.ts';
import type { Database } from '../db/index.ts';
import { formatAddress, peerAddress } from '../ip/index.ts';
import { type RedisLocation, redisOptionsFor } from '../queue/index.ts';
import type { Logger } from '../shared/index.ts';
import { type ValidationCounters, validationPage } from '../validation/index.ts';
import { type PublicHttpServer, startPublicHttp } from './http-server.ts';
import type { PublicMetrics } from './metrics.ts';
import { limitSentence, type QueryLimiter, redisQueryLimiter } from './query-limit.ts';
import type { RdapContext } from './rdap.ts';
import { rdapRoutes } from './rdap-routes.ts';
import { templatesRoutes } from './templates-routes.ts';
import { startWhoisServer, type WhoisServer } from './whois-server.ts';

export {
  customerByHandle,
  netByHandle,
  netsForRange,
  netsOfOrg,
  orgByHandle,
  pocByHandle,
  SEARCH_LIMIT,
  searchEntities,
} from './directory.ts';
export type { PublicHttpServer } from './http-server.ts';
export {
  PUBLIC_PROTOCOLS,
  type PublicMetrics,
  QUERY_KINDS,
  QUERY_OUTCOMES,
} from './metrics.ts';
export type { QueryLimiter } from './query-limit.ts';
export type * from './views.ts';

export interface PublicOptions {
  readonly settings: PublicService;
  /** MAX_TEMPLATES_PER_MESSAGE, which the blank forms' listing states. */
  readonly maxTemplatesPerMessage: number;
  /** Lookups only read it; the validation page's POST validates a POC in a transaction of its own. */
  readonly db: Database;
  readonly redis: RedisLocation;
  readonly logger: Logger;
  readonly metrics: PublicMetrics;
  /** Counts the validation page's answers (`answered`, as the worker counts answers by mail). */
  readonly validationMetrics?: ValidationCounters;
  /** Tests: count queries elsewhere (or not at all). */
  readonly limiter?: QueryLimiter;
}

export interface PublicServices {
  readonly whoisPort: number;
  readonly rdapPort: number;
  close(): Promise<void>;
}

/**
 * The validation room's `/validate/TOKEN` page: the link `${PUBLIC_URL}/validate/TOKEN` of its
 * mail. Each request is counted with the client's lookups: a token cannot be guessed (130 bits),
 * but every request reads the database, as a lookup does.
 */
async function validationRoutes(
  app: FastifyInstance,
  db: Database,
  limiter: QueryLimiter,
  metrics: ValidationCounters | undefined,
): Promise<void> {
  app.addHook('onRequest', async (request, reply) => {
    const allowance = await limiter.admit(request.ip);
    if (!allowance.allowed) {
      return reply
        .code(429)
        .header('retry-after', String(allowance.retryAfterSeconds))
        .header('cache-control', 'no-store')
        .type('text/plain; charset=utf-8')
        .send(`${limitSentence(allowance)}.\n`);
    }
  });
  await app.register(validationPage, { db, ...(metrics ? { metrics } : {}) });
}

/** A listener's address as clients are told it: an IPv4-mapped one as the IPv4 address it stands for. */
function hostText(address: string): string {
  const parsed = peerAddress(address);
  return parsed ? formatAddress(parsed.version, parsed.value) : address;
}

/** A host as a URL writes it: an IPv6 address in brackets. */
function urlHost(address: string): string {
  const plain = hostText(address);
  return plain.includes(':') ? `[${plain}]` : plain;
}

export async function startPublicServices(options: PublicOptions): Promise<PublicServices> {
  const { settings, db, logger, metrics } = options;
  const stops: Array<() => Promise<unknown>> = [];
  const close = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => {});
  };
  try {
    let limiter = options.limiter;
    if (!limiter) {
      const redis = new Redis({ ...redisOptionsFor(options.redis), maxRetriesPerRequest: 1 });
      redis.on('error', () => {
        // ioredis reconnects by itself; an unanswered count lets the query through (query-limit.ts).
      });
      stops.push(async () => redis.disconnect());
      limiter = redisQueryLimiter(redis, settings.queriesPerMinute);
    }
    const publicUrl = settings.url;
    let rdapPort = settings.rdapPort;
    const port43 = (local: string | undefined) =>
      publicUrl ? new URL(publicUrl).hostname : hostText(local ?? settings.host);
    // Links name PUBLIC_URL, or else the address and port the client reached: never the Host
    // header, which is the client's to write (a cached answer, or one a victim is shown, would
    // send its readers wherever that client chose).
    const context = (request: FastifyRequest): RdapContext => {
      const base = publicUrl ?? `http://${urlHost(request.socket.localAddress ?? settings.host)}:${rdapPort}`;
      return { base: `${base}/rdap`, port43: port43(request.socket.localAddress) };
    };
    const http: PublicHttpServer = await startPublicHttp({
      host: settings.host,
      port: settings.rdapPort,
      trustProxy: settings.trustProxy,
      routes: [
        { prefix: '/rdap', register: (app) => rdapRoutes(app, { db, limiter, metrics, context }) },
        {
          register: (app) =>
            templatesRoutes(app, { metrics, maxTemplatesPerMessage: options.maxTemplatesPerMessage }),
        },
        { register: (app) => validationRoutes(app, db, limiter, options.validationMetrics) },
      ],
    });
    stops.push(() => http.close());
    rdapPort = http.port;
    const whois: WhoisServer = await startWhoisServer({
      host: settings.host,
      port: settings.whoisPort,
      db,
      limiter,
      metrics,
      logger,
      rdapBase: (local) => `${publicUrl ?? `http://${urlHost(local ?? settings.host)}:${rdapPort}`}/rdap`,
    });
    stops.push(() => whois.close());
    return { whoisPort: whois.port, rdapPort: http.port, close };
  } catch (error) {
    await close();
    throw error;
  }
}
