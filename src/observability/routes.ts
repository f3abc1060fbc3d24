/**
 * The operations endpoints as a fastify plugin: `/metrics` (Prometheus text), `/healthz`
 * (process up) and `/readyz` (database and Redis reachable; 503 naming what is down). They
 * carry no registry data and no secrets and need no staff sign-in: the console lets OPS_PATHS
 * through before it looks for a session (which would need the database /healthz must not need).
 * /metrics still tells more than a probe needs (traffic, refusal reasons, queue depth), and the
 * console port is often reachable from further than the scraper: it answers loopback clients
 * (a request relayed by a proxy on this machine is not one), or, once the operator sets METRICS_TOKEN, whoever presents it as a bearer token.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { peerAddress } from '../ip/index.ts';
import { checkReadiness, liveness, type ReadinessCheck } from './health.ts';
import type { DaemonMetrics } from './metrics.ts';

export const OPS_PATHS: ReadonlySet<string> = new Set(['/metrics', '/healthz', '/readyz']);

export interface OpsRoutesOptions {
  readonly metrics: DaemonMetrics;
  readonly checks: readonly ReadinessCheck[];
  /** The roles this process runs, shown by /healthz. */
  readonly roles: readonly string[];
  /** How long /readyz waits for each ping (default 2 s). */
  readonly readinessTimeoutMs?: number;
  /** METRICS_TOKEN: /metrics then answers `Authorization: Bearer <token>` only, from anywhere. */
  readonly metricsToken?: string;
}

/** The peer itself, not X-Forwarded-For (which a client writes): 127.0.0.0/8, ::1, IPv4-mapped. */
export function isLoopbackPeer(address: string | undefined): boolean {
  const peer = address ? peerAddress(address) : undefined;
  if (!peer) return false;
  return peer.version === 4 ? peer.value >> 24n === 127n : peer.value === 1n;
}

/**
 * Headers a proxy adds for the client it relays. A reverse proxy on this machine (the console
 * behind nginx, CONSOLE_TRUST_PROXY=127.0.0.1) connects from loopback for every client: a
 * request naming another client came through one, and is not a scrape from this machine.
 */
const RELAY_HEADERS = ['x-forwarded-for', 'forwarded', 'x-real-ip', 'x-forwarded-host'] as const;

function relayed(request: FastifyRequest): boolean {
  return RELAY_HEADERS.some((name) => request.headers[name] !== undefined);
}

const digest = (text: string) => createHash('sha256').update(text).digest();

function presentsToken(request: FastifyRequest, token: string): boolean {
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(request.headers.authorization ?? '');
  return m !== null && timingSafeEqual(digest(m[1]!), digest(token));
}

/** Why a scrape is refused, or undefined when it may read /metrics. */
function metricsRefusal(request: FastifyRequest, token: string | undefined): string | undefined {
  if (token !== undefined) {
    return presentsToken(request, token)
      ? undefined
      : 'E_NOT_AUTHORIZED: /metrics needs "Authorization: Bearer <METRICS_TOKEN>"';
  }
  return isLoopbackPeer(request.socket.remoteAddress) && !relayed(request)
    ? undefined
    : 'E_NOT_AUTHORIZED: /metrics answers loopback clients only; set METRICS_TOKEN to let a scraper elsewhere in with it';
}

export const opsRoutes: FastifyPluginAsync<OpsRoutesOptions> = async (app, options) => {
  app.get('/healthz', async (_request, reply) =>
    reply.header('Cache-Control', 'no-store').send(liveness(options.roles)),
  );

  app.get('/readyz', async (_request, reply) => {
    const readiness = await checkReadiness(options.checks, options.readinessTimeoutMs);
    return reply
      .code(readiness.ready ? 200 : 503)
      .header('Cache-Control', 'no-store')
      .send({ status: readiness.ready ? 'ready' : 'not ready', checks: readiness.checks });
  });

  app.get('/metrics', async (request, reply) => {
    const refusal = metricsRefusal(request, options.metricsToken);
    if (refusal) {
      return reply
        .code(options.metricsToken === undefined ? 403 : 401)
        .header('Cache-Control', 'no-store')
        .header('WWW-Authenticate', 'Bearer realm="metrics"')
        .type('text/plain; charset=utf-8')
        .send(`${refusal}\n`);
    }
    const body = await options.metrics.render();
    return reply.type(options.metrics.registry.contentType).header('Cache-Control', 'no-store').send(body);
  });
};
