/** Registry look-up page. */
import type { FastifyInstance } from 'fastify';
import { lookup } from '../lookup.ts';
import type { PageContext } from '../server.ts';
import { field } from './form.ts';

export function registerLookupRoutes(app: FastifyInstance, page: PageContext): void {
  app.get('/lookup', async (request, reply) => {
    const query = field(request.query, 'q');
    const result = await lookup(page.db, query);
    return await page.render(request, reply, 'lookup', { title: 'Registry look-up', result });
  });
}
