/**
 * The operations endpoints as a fastify plugin: `/metrics` (Prometheus text), `/healthz`
 * (process up) and `/readyz` (database and Redis reachable; 503 naming what is down). They
 * carry no registry data and no secrets, so they need no sign-in: the console lets OPS_PATHS
 * through before it looks for a session (which would need the database /healthz must not need).
 */
import type { FastifyPluginAsync } from 'fastify';
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

  app.get('/metrics', async (_request, reply) => {
    const body = await options.metrics.render();
    return reply.type(options.metrics.registry.contentType).header('Cache-Control', 'no-store').send(body);
  });
};
