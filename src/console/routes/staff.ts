/** The staff accounts, for every staff member to see who can act (accounts are managed by `hostmasterd staff`). */
import type { FastifyInstance } from 'fastify';
import type { PageContext } from '../server.ts';
import { listStaffAccounts } from '../staff-accounts.ts';

export function registerStaffRoutes(app: FastifyInstance, page: PageContext): void {
  app.get('/staff', async (request, reply) =>
    page.render(request, reply, 'staff', {
      title: 'Staff accounts',
      accounts: await listStaffAccounts(page.db),
    }),
  );
}
