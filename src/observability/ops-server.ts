/**
 * A process that runs no console (`--role ingress`, `--role worker`) still answers on the
 * console's address, with the operations endpoints only: so every process of a scaled-out
 * deployment is scraped and probed the same way, on CONSOLE_HOST:CONSOLE_PORT.
 */
import Fastify from 'fastify';
import { listenFailure } from '../shared/index.ts';
import { type OpsRoutesOptions, opsRoutes } from './routes.ts';

export interface OpsServerOptions extends OpsRoutesOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
}

export interface OpsServer {
  readonly port: number;
  close(): Promise<void>;
}

export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const { host, port, ...routes } = options;
  const app = Fastify({ logger: false });
  await app.register(opsRoutes, routes);
  app.setNotFoundHandler(async (request, reply) =>
    reply
      .code(404)
      .send({ error: `nothing at ${request.url}: this process serves only /metrics, /healthz and /readyz` }),
  );
  try {
    const address = await app.listen({ host, port });
    return { port: Number(new URL(address).port), close: () => app.close() };
  } catch (error) {
    await app.close();
    throw listenFailure(
      {
        code: 'E_OPS_LISTEN',
        what: 'the operations endpoints (/metrics, /healthz, /readyz)',
        host,
        port,
        variables: 'CONSOLE_HOST/CONSOLE_PORT',
      },
      error,
    );
  }
}
