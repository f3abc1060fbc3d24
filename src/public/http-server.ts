/**
 * The public HTTP listener (RDAP_PORT): a list of route plugins, each with its own prefix, so
 * another public page (a POC's validation link, say) is one more entry in `PublicRoute[]`.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { listenFailure } from '../shared/index.ts';

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
}

export interface PublicHttpServer {
  readonly port: number;
  close(): Promise<void>;
}

export async function startPublicHttp(options: PublicHttpOptions): Promise<PublicHttpServer> {
  // Nothing here is behind a sign-in; a query is a URL, never a body. A request must arrive
  // whole within 10 s (Node's default is 300 s: long enough for slow clients to hold sockets).
  const app = Fastify({
    logger: false,
    bodyLimit: 1024,
    requestTimeout: 10_000,
    trustProxy: options.trustProxy.length > 0 ? [...options.trustProxy] : false,
    routerOptions: { maxParamLength: 256 },
  });
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
