/**
 * The console's HTTP server: fastify, server-rendered eta pages, a session cookie and CSRF
 * tokens on every form. Nothing but the sign-in page and the stylesheet is reachable without a
 * session; bull-board sits under /queues behind the same gate.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyFormbody from '@fastify/formbody';
import type { QueueEvents } from 'bullmq';
import { Eta } from 'eta';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import type { Config } from '../config/index.ts';
import type { Database } from '../db/index.ts';
import { OPS_PATHS, type OpsRoutesOptions, opsRoutes } from '../observability/index.ts';
import { loadBullmq, withTimeout } from '../queue/index.ts';
import { RecipientReplyLimit } from '../replies/index.ts';
import { listenFailure } from '../shared/index.ts';
import type { ActionContext, ConsoleQueue } from './actions.ts';
import { actorHtml, addressHtml } from './addresses.ts';
import { changesTheQueue, mountBullBoard } from './bull-board.ts';
import { registerAccountRoutes } from './routes/accounts.ts';
import { registerAuthRoutes } from './routes/auth.ts';
import { registerBulkRoutes } from './routes/bulk.ts';
import { InputRefused, refusedInput } from './routes/form.ts';
import { registerLookupRoutes } from './routes/lookup.ts';
import { registerNotesRoutes } from './routes/notes.ts';
import { registerQueueRoutes } from './routes/queue.ts';
import { registerStaffRoutes } from './routes/staff.ts';
import { registerSubmissionRoutes } from './routes/submission.ts';
import { registerUndeliveredRoutes } from './routes/undelivered.ts';
import { registerValidationRoutes } from './routes/validation.ts';
import { CONSOLE_POLICY, dashboardPolicy, FIXED_HEADERS } from './security-headers.ts';
import { findSession, SESSION_COOKIE, type SignedInStaff, takeFlash } from './sessions.ts';
import { sharedSecret } from './shared-secret.ts';
import {
  memoryAttemptCounter,
  redisAttemptCounter,
  type SignInThrottle,
  type SignInThrottlePolicy,
  signInThrottle,
  signInThrottlePolicy,
} from './sign-in-throttle.ts';

declare module 'fastify' {
  interface FastifyRequest {
    staff: SignedInStaff | null;
  }
}

export interface ConsoleLogger {
  info(object: object, message?: string): void;
  error(object: object, message?: string): void;
}

export interface ConsoleOptions {
  readonly config: Config;
  readonly db: Database;
  readonly queue?: ConsoleQueue;
  readonly logger?: ConsoleLogger;
  /** How long an action waits for the worker (default 30 s). */
  readonly jobTimeoutMs?: number;
  /** How sign-in attempts are slowed down (DEFAULT_SIGN_IN_THROTTLE when absent). */
  readonly signInThrottle?: SignInThrottlePolicy;
  /** /metrics, /healthz and /readyz on the console's port (no sign-in; see observability/). */
  readonly ops?: OpsRoutesOptions;
}

export interface RunningConsole {
  readonly port: number;
  close(): Promise<void>;
}

const HERE = path.dirname(fileURLToPath(import.meta.url));
const STYLESHEET = fs.readFileSync(path.join(HERE, 'console.css'));
const QUEUE_KEYS = fs.readFileSync(path.join(HERE, 'queue-keys.js'));

const isDashboard = (url: string) => url === '/queues' || url.startsWith('/queues/');

/**
 * Whether a request reaches bull-board: by the route it matched as well as by its path as
 * written, since the router decodes the path (`/%71ueues/api/...` is bull-board's route too).
 */
const reachesDashboard = (request: FastifyRequest) =>
  isDashboard(request.url.split('?')[0] ?? '/') || isDashboard(request.routeOptions.url ?? '');

/** What a CSRF token is bound to: the session (by its digest), or no session. */
function csrfBinding(staff: SignedInStaff | null): string {
  return staff ? staff.tokenDigest : 'signed-out';
}

/** Paths a visitor without a session may reach. */
const PUBLIC_PATHS = new Set(['/login', '/console.css', '/queue-keys.js']);

export interface PageContext {
  readonly db: Database;
  readonly config: Config;
  readonly actions: ActionContext;
  readonly throttle: SignInThrottle;
  readonly logger: ConsoleLogger | undefined;
  /** `Secure` for the console's cookies, as CONSOLE_SECURE_COOKIES decides. */
  readonly cookieOptions: { readonly secure: boolean | 'auto' };
  render(
    request: FastifyRequest,
    reply: FastifyReply,
    view: string,
    data: Record<string, unknown>,
  ): Promise<FastifyReply>;
}

export async function buildConsole(
  options: ConsoleOptions,
): Promise<{ app: FastifyInstance; close(): Promise<void> }> {
  const { config, db, queue } = options;
  const trustProxy = config.console.trustProxy;
  const app = Fastify({
    logger: false,
    bodyLimit: 256 * 1024,
    // request.ip (the sign-in throttle's client) and request.protocol (Secure cookies) come from
    // X-Forwarded-* only when those proxies are named: otherwise any client could choose them.
    trustProxy: trustProxy.length > 0 ? [...trustProxy] : false,
  });
  const secure = { auto: 'auto', always: true, never: false } as const;
  const cookieOptions = { secure: secure[config.console.secureCookies] };
  const eta = new Eta({ views: path.join(HERE, 'views'), autoEscape: true, cache: true });
  const listening = queue ? await openQueueEvents(queue) : undefined;
  const events = listening?.events;

  // One secret for every console process signs the CSRF cookie (see shared-secret.ts).
  await app.register(fastifyCookie, { secret: await sharedSecret(db, 'csrf-cookie') });
  await app.register(fastifyFormbody);
  // A token is bound to the session it was shown in (its digest, or 'signed-out'): a token from
  // another session, or from the sign-in page before this session began, is refused.
  await app.register(fastifyCsrf, {
    cookieOpts: { signed: true, httpOnly: true, sameSite: 'strict', path: '/', ...cookieOptions },
    csrfOpts: { hmacKey: await sharedSecret(db, 'csrf-session-binding') },
    getUserInfo: (request) => csrfBinding(request.staff),
  });
  app.decorateRequest('staff', null);

  app.addHook('onRequest', async (request, reply) => {
    reply.headers(FIXED_HEADERS);
    const url = request.url.split('?')[0] ?? '/';
    // Probes and scrapes must not need the database (the session look-up does).
    if (options.ops && OPS_PATHS.has(url)) return;
    request.staff = (await findSession(db, request.cookies[SESSION_COOKIE])) ?? null;
    if (PUBLIC_PATHS.has(url)) return;
    if (!request.staff) {
      if (url.startsWith('/queues/api')) return reply.code(401).send({ error: 'sign in first' });
      const next = request.method === 'GET' ? `?next=${encodeURIComponent(request.url)}` : '';
      return reply.redirect(`/login${next}`, 303);
    }
    // A printed one-time password must be replaced before anything else.
    if (request.staff.mustChangePassword && url !== '/password' && url !== '/logout') {
      return reply.redirect('/password', 303);
    }
    if (reachesDashboard(request) && changesTheQueue(request.method)) {
      return reply
        .code(405)
        .send({ error: 'E_READ_ONLY: the queue dashboard is read-only; act on rejections in the console' });
    }
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const html = String(reply.getHeader('content-type') ?? '').startsWith('text/html');
    const dashboard = reachesDashboard(request);
    reply.header(
      'Content-Security-Policy',
      dashboard ? dashboardPolicy(html && typeof payload === 'string' ? payload : undefined) : CONSOLE_POLICY,
    );
    // Over HTTPS (directly or as a trusted proxy says), the browser is told to stay on it.
    if (request.protocol === 'https') reply.header('Strict-Transport-Security', 'max-age=31536000');
    return payload;
  });

  app.setErrorHandler(async (error: Error & { code?: string; statusCode?: number }, request, reply) => {
    if (error instanceof InputRefused) {
      // The request's fault, said to its sender: nothing failed here, so nothing is logged as an error.
      return await page.render(request, reply.code(400), 'error', {
        title: 'Request refused',
        message: `${error.problem.code}: ${capitalised(error.problem.message)}.`,
      });
    }
    if (error.code === 'FST_CSRF_MISSING_SECRET' || error.code === 'FST_CSRF_INVALID_TOKEN') {
      return await page.render(request, reply.code(403), 'error', {
        title: 'Form refused',
        message:
          'This form did not carry a valid security token (it may be old, or it did not come from this console). Nothing was changed. Go back, reload the page and try again.',
      });
    }
    const status = error.statusCode && error.statusCode < 500 ? error.statusCode : 500;
    // A request the framework could not read (a bad path encoding, a body too large or not
    // JSON) is its sender's fault, told on the page: an error line is for what failed here.
    if (status === 500) options.logger?.error({ err: error, url: request.url }, 'console request failed');
    else options.logger?.info({ err: error.message, url: request.url, status }, 'console request refused');
    return await page.render(request, reply.code(status), 'error', {
      title: status === 500 ? 'Something went wrong' : 'Request refused',
      message:
        status === 500
          ? 'The console could not complete this request; nothing more is known here than the server log says.'
          : error.message,
    });
  });
  app.setNotFoundHandler(async (request, reply) =>
    page.render(request, reply.code(404), 'error', {
      title: 'Not found',
      message: `Nothing lives at ${request.url}.`,
    }),
  );

  app.get('/console.css', async (_request, reply) =>
    reply.type('text/css; charset=utf-8').header('Cache-Control', 'max-age=300').send(STYLESHEET),
  );
  app.get('/queue-keys.js', async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').header('Cache-Control', 'max-age=300').send(QUEUE_KEYS),
  );

  const actions: ActionContext = {
    db,
    config,
    queue,
    events,
    jobTimeoutMs: options.jobTimeoutMs ?? 30_000,
    ...(queue
      ? { replyLimit: new RecipientReplyLimit(queue.redis, config.limits.repliesPerRecipientPerHour) }
      : {}),
  };
  const page: PageContext = {
    db,
    config,
    actions,
    throttle: signInThrottle(
      queue ? redisAttemptCounter(queue.redis) : memoryAttemptCounter(),
      options.signInThrottle ??
        signInThrottlePolicy({
          firstWaitMs: config.console.signInFirstWaitMs,
          maxWaitMs: config.console.signInMaxWaitMs,
        }),
    ),
    cookieOptions,
    logger: options.logger,
    render: async (request, reply, view, data) => {
      const flash = request.staff ? await takeFlash(db, request.staff.tokenDigest) : undefined;
      const html = await eta.renderAsync(view, {
        ...data,
        staff: request.staff,
        csrf: reply.generateCsrf({ userInfo: csrfBinding(request.staff) }),
        flash,
        hasQueue: queue !== undefined,
        path: request.url,
        when: formatWhen,
        address: addressHtml,
        actor: actorHtml,
      });
      return reply.type('text/html; charset=utf-8').header('Cache-Control', 'no-store').send(html);
    },
  };

  // Every POST of ours needs a CSRF token. Registered as preHandler: on onRequest the form body
  // is not parsed yet and every token would be refused.
  await app.register(async (scope) => {
    // Every value a route could read is checked once, before any route reads it (routes/form.ts).
    scope.addHook('preValidation', async (request) => {
      const refused = refusedInput([request.params, request.query, request.body]);
      if (refused) throw new InputRefused(refused);
    });
    scope.addHook('preHandler', (request, reply, done) => {
      if (request.method === 'POST') scope.csrfProtection(request, reply, done);
      else done();
    });
    registerAuthRoutes(scope, page);
    registerQueueRoutes(scope, page);
    registerSubmissionRoutes(scope, page);
    registerBulkRoutes(scope, page);
    registerStaffRoutes(scope, page);
    registerAccountRoutes(scope, page);
    registerLookupRoutes(scope, page);
    registerValidationRoutes(scope, page);
    registerUndeliveredRoutes(scope, page);
    registerNotesRoutes(scope, page);
  });
  if (queue) await mountBullBoard(app, queue.bullQueue, '/queues');
  if (options.ops) await app.register(opsRoutes, options.ops);

  return {
    app,
    close: async () => {
      await app.close();
      await listening?.close();
    },
  };
}

/**
 * QueueEvents needs its own blocking connection. Given connection options, BullMQ opens one;
 * given a client, we hand it a duplicate and close that duplicate ourselves.
 */
async function openQueueEvents(
  queue: ConsoleQueue,
): Promise<{ events: QueueEvents; close(): Promise<void> }> {
  const base = queue.bullQueue.opts.connection;
  const duplicate = isRedisClient(base)
    ? base.duplicate({ maxRetriesPerRequest: null, enableOfflineQueue: true })
    : undefined;
  duplicate?.on('error', () => {});
  const { QueueEvents } = loadBullmq();
  const events = new QueueEvents(queue.bullQueue.name, {
    connection: duplicate ?? base,
    ...(queue.bullQueue.opts.prefix ? { prefix: queue.bullQueue.opts.prefix } : {}),
  });
  events.on('error', () => {});
  await events.waitUntilReady();
  return {
    events,
    close: async () => {
      // With Redis gone, QueueEvents.close() can wait forever for a reply: give it a few seconds.
      await withTimeout(events.close(), 5_000, 'closing queue events').catch(() => {});
      duplicate?.disconnect();
    },
  };
}

function isRedisClient(connection: unknown): connection is Redis {
  return typeof (connection as { duplicate?: unknown } | undefined)?.duplicate === 'function';
}

const capitalised = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** Times in UTC, to the second: staff compare them with mail headers and logs. */
function formatWhen(date: Date | string): string {
  return `${new Date(date).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

export async function startConsole(options: ConsoleOptions): Promise<RunningConsole> {
  const built = await buildConsole(options);
  const { host, port: wanted } = options.config.console;
  let address: string;
  try {
    address = await built.app.listen({ host, port: wanted });
  } catch (error) {
    // Let go of what the console opened (its Redis connections): otherwise the process never exits.
    await built.close();
    throw listenFailure(
      {
        code: 'E_CONSOLE_LISTEN',
        what: 'the staff console',
        host,
        port: wanted,
        variables: 'CONSOLE_HOST/CONSOLE_PORT',
      },
      error,
    );
  }
  const port = Number(new URL(address).port);
  options.logger?.info({ port }, 'staff console listening');
  return { port, close: built.close };
}
