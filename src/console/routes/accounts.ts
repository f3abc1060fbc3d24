/** Per account and API key: the last 30 days by outcome, and when each key was last used. */
import type { FastifyInstance } from 'fastify';
import { loadKeyUsage, USAGE_DAYS } from '../key-usage.ts';
import type { PageContext } from '../server.ts';

export function registerAccountRoutes(app: FastifyInstance, page: PageContext): void {
  app.get('/accounts', async (request, reply) =>
    page.render(request, reply, 'accounts', {
      title: 'Accounts and API keys',
      days: USAGE_DAYS,
      accounts: await loadKeyUsage(page.db),
    }),
  );
}
