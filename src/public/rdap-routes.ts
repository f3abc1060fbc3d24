/**
 * RDAP queries (RFC 9082) under /rdap/ of the public HTTP listener: /ip/{address},
 * /ip/{prefix}/{length}, /entity/{handle}, /entities?fn= and ?handle=, /help. Every answer is
 * `application/rdap+json`, open to any origin (CORS), and HEAD works as GET without a body.
 * Errors are RFC 9083 error objects with the status they name.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Executor } from '../db/index.ts';
import { parseLookupRange } from '../ip/index.ts';
import { CUSTOMER_HANDLE, ORG_HANDLE, POC_HANDLE } from '../shared/index.ts';
import { type EntitySearch, netsForRange, netsOfOrg, SEARCH_LIMIT, searchEntities } from './directory.ts';
import type { PublicMetrics, QueryKind, QueryOutcome } from './metrics.ts';
import { limitSentence, type QueryLimiter } from './query-limit.ts';
import {
  entityObject,
  errorObject,
  type JsonObject,
  netObject,
  RDAP_CONFORMANCE,
  RDAP_HELP,
  RDAP_MEDIA_TYPE,
  type RdapContext,
  TERMS_NOTICE,
  topLevel,
} from './rdap.ts';
import { entityByHandle } from './whois.ts';

export interface RdapRoutesOptions {
  readonly db: Executor;
  readonly limiter: QueryLimiter;
  readonly metrics: PublicMetrics;
  /** Where RDAP answers for this request (PUBLIC_URL's /rdap, or the address the client used). */
  context(request: FastifyRequest): RdapContext;
}

/**
 * An answer may be kept a minute by a cache (a template's change shows there at most that late);
 * an error never: a 404 must not hide a net registered a moment later, a 429 or a 400 is about
 * one client's request. Nothing in an answer depends on a request header (CORS is `*` for every
 * origin, links come from PUBLIC_URL or the address the listener was reached at), so no `Vary`.
 */
const ANSWER_CACHE_CONTROL = 'public, max-age=60';

/** RFC 9082 leaves the length of a search pattern to the server: this keeps "a*" from listing everyone. */
const MIN_SEARCH_CHARACTERS = 2;

/**
 * The answer as JSON text with DEL, the C1 controls (NEL U+0085 among them) and the line and
 * paragraph separators written as `\u` escapes, which JSON.stringify leaves raw: the same data to
 * a JSON parser, and no line break inside a value for anyone reading the text by lines (a
 * value stored before such values were refused, or a log that keeps the answer).
 */
export function rdapJson(body: JsonObject): string {
  return JSON.stringify(body).replace(
    /[\u007F-\u009F\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** The methods every RDAP path answers. */
const READ_METHODS: readonly string[] = ['GET', 'HEAD', 'OPTIONS'];

export async function rdapRoutes(app: FastifyInstance, options: RdapRoutesOptions): Promise<void> {
  const { db, limiter, metrics } = options;

  const send = (
    reply: FastifyReply,
    status: number,
    body: JsonObject,
    kind: QueryKind,
    outcome: QueryOutcome,
  ) => {
    metrics.queryAnswered('rdap', kind, outcome);
    return reply
      .code(status)
      .type(RDAP_MEDIA_TYPE)
      .header('cache-control', status === 200 ? ANSWER_CACHE_CONTROL : 'no-store')
      .send(rdapJson(body));
  };
  const problem = (
    reply: FastifyReply,
    status: number,
    title: string,
    description: string,
    kind: QueryKind,
    outcome: QueryOutcome = status === 404
      ? 'not_found'
      : status === 429
        ? 'rate_limited'
        : status >= 500
          ? 'error'
          : 'bad_query',
  ) => send(reply, status, errorObject(status, title, description), kind, outcome);

  app.addHook('onRequest', async (request, reply) => {
    reply.header('access-control-allow-origin', '*');
    if (request.method === 'OPTIONS') return;
    const allowance = await limiter.admit(request.ip);
    if (!allowance.allowed) {
      reply.header('retry-after', String(allowance.retryAfterSeconds));
      return problem(reply, 429, 'Too Many Requests', `${limitSentence(allowance)}.`, 'other');
    }
  });
  app.setErrorHandler((error, request, reply) => {
    const status = (error as { statusCode?: number }).statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      return problem(
        reply,
        status,
        'Bad Request',
        error instanceof Error ? error.message : 'a bad request',
        'other',
      );
    }
    request.log.error({ err: error }, 'RDAP query failed');
    return problem(
      reply,
      500,
      'Internal Server Error',
      'The registry could not answer just now; try again shortly.',
      'other',
    );
  });
  app.setNotFoundHandler((request, reply) => {
    // RDAP is read-only: a POST, PUT or DELETE is told which methods are (RFC 7480 section 5.3,
    // RFC 9110 section 15.5.6: 405 with Allow), not that nothing is there.
    if (!READ_METHODS.includes(request.method)) {
      reply.header('allow', READ_METHODS.join(', '));
      return problem(
        reply,
        405,
        'Method Not Allowed',
        `RDAP answers ${READ_METHODS.join(', ')} only, not ${request.method}; see /rdap/help.`,
        'other',
      );
    }
    return problem(
      reply,
      404,
      'Not Found',
      `Nothing is served at ${request.url.split('?')[0]}; see /rdap/help.`,
      'other',
    );
  });
  app.options('/*', async (_request, reply) =>
    reply
      .code(204)
      .header('access-control-allow-methods', READ_METHODS.join(', '))
      .header('access-control-allow-headers', 'Accept, Content-Type')
      .send(),
  );

  app.get('/help', async (_request, reply) => send(reply, 200, RDAP_HELP, 'help', 'found'));

  const ipQuery = async (request: FastifyRequest, reply: FastifyReply, text: string) => {
    const range = parseLookupRange(text);
    if (!range.ok || /[\s-]/.test(text)) {
      return problem(
        reply,
        400,
        'Bad Request',
        `"${text}" is not an IP address or prefix (192.0.2.1, 192.0.2.0/24)`,
        'net',
      );
    }
    const match = await netsForRange(db, range.value);
    if (!match) return problem(reply, 404, 'Not Found', `No network holds ${text}.`, 'net');
    const context = options.context(request);
    const holder = match.net.holder
      ? await entityByHandle(db, match.net.holder.kind, match.net.holder.handle)
      : undefined;
    const body = netObject(match.net, context, {
      ...(holder ? { holder } : {}),
      ...(match.parents[0] ? { parent: match.parents[0] } : {}),
    });
    return send(reply, 200, topLevel(body), 'net', 'found');
  };
  app.get<{ Params: { address: string } }>('/ip/:address', (request, reply) =>
    ipQuery(request, reply, request.params.address),
  );
  app.get<{ Params: { prefix: string; length: string } }>('/ip/:prefix/:length', (request, reply) =>
    ipQuery(request, reply, `${request.params.prefix}/${request.params.length}`),
  );

  app.get<{ Params: { handle: string } }>('/entity/:handle', async (request, reply) => {
    const handle = request.params.handle.toUpperCase();
    const kind = POC_HANDLE.test(handle)
      ? 'poc'
      : CUSTOMER_HANDLE.test(handle)
        ? 'customer'
        : ORG_HANDLE.test(handle)
          ? 'org'
          : undefined;
    const entity = kind ? await entityByHandle(db, kind, handle) : undefined;
    if (!kind || !entity)
      return problem(reply, 404, 'Not Found', `No entity has the handle ${request.params.handle}.`, 'entity');
    const context = options.context(request);
    const nets = entity.kind === 'org' ? await netsOfOrg(db, entity.handle) : [];
    const shown = nets.slice(0, SEARCH_LIMIT);
    const cut =
      nets.length > shown.length
        ? [truncatedNotice(`Only ${shown.length} of the networks of ${entity.handle} are listed.`)]
        : [];
    return send(reply, 200, topLevel(entityObject(entity, context, shown), cut), kind, 'found');
  });

  app.get<{ Querystring: { fn?: unknown; handle?: unknown } }>('/entities', async (request, reply) => {
    const { fn, handle } = request.query;
    const asked = fn ?? handle;
    if (typeof asked !== 'string' || (fn !== undefined && handle !== undefined)) {
      return problem(reply, 400, 'Bad Request', 'Search with one of fn= (a name) or handle=.', 'search');
    }
    const search = searchPattern(fn !== undefined ? 'name' : 'handle', asked);
    if (!search.ok) return problem(reply, 400, 'Bad Request', search.reason, 'search');
    const found = await searchEntities(db, search.value);
    const context = options.context(request);
    const notices = found.truncated
      ? [truncatedNotice('Only the first results are listed; narrow the search.')]
      : [];
    return send(
      reply,
      200,
      {
        rdapConformance: [...RDAP_CONFORMANCE],
        notices: [TERMS_NOTICE, ...notices],
        entitySearchResults: found.entities.map((e) => entityObject(e, context)),
      },
      'search',
      found.entities.length > 0 ? 'found' : 'not_found',
    );
  });

  for (const unsupported of [
    '/autnum/*',
    '/domain/*',
    '/nameserver/*',
    '/domains',
    '/nameservers',
    '/ips',
    '/autnums',
  ]) {
    app.get(unsupported, async (_request, reply) =>
      problem(
        reply,
        501,
        'Not Implemented',
        'Only IP networks and entities are registered here; see /rdap/help.',
        'other',
        // A well-formed question for a class we do not serve (generic clients and bootstrap
        // crawlers ask /autnum and /domain routinely): the asker's, like any query we cannot
        // answer, never our failure; `error` is kept for what failed here (the database away).
        'bad_query',
      ),
    );
  }
}

/** RFC 9083 section 10.2.1's notice of a list cut short. */
function truncatedNotice(description: string): JsonObject {
  return {
    title: 'Search Policy',
    type: 'result set truncated due to excessive load',
    description: [description],
  };
}

type Pattern = { ok: true; value: EntitySearch } | { ok: false; reason: string };

/** NUL and its kin reach no statement: PostgreSQL refuses them, which would read as our failure. */
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

/** RFC 9082 section 4.1 partial matching: a `*` at the end only. */
export function searchPattern(by: 'name' | 'handle', raw: string): Pattern {
  const text = raw.trim();
  if (CONTROL_CHARACTER.test(text))
    return { ok: false, reason: 'A search pattern holds no control characters.' };
  const prefix = text.endsWith('*');
  const body = prefix ? text.slice(0, -1) : text;
  if (body.includes('*')) return { ok: false, reason: 'A * may only end a search pattern (Demo*).' };
  if (body.length < MIN_SEARCH_CHARACTERS) {
    return {
      ok: false,
      reason: `A search needs at least ${MIN_SEARCH_CHARACTERS} characters besides the *.`,
    };
  }
  if (body.length > 200) return { ok: false, reason: 'A search pattern is at most 200 characters.' };
  return { ok: true, value: { by, text: body, prefix } };
}
