/** Per account and API key: the last 30 days by outcome, and when each key was last used. */
import type { FastifyInstance } from 'fastify';
import { ACCOUNTS_PER_PAGE, loadKeyUsage, USAGE_DAYS } from '../key-usage.ts';
import type { PageContext } from '../server.ts';
import { field } from './form.ts';

/** The page's query string for a search and a cursor. */
function accountsLink(search: string, after?: string): string {
  const params = new URLSearchParams();
  if (search) params.set('q', search);
  if (after !== undefined) params.set('after', after);
  const text = params.toString();
  return `/accounts${text ? `?${text}` : ''}`;
}

export function registerAccountRoutes(app: FastifyInstance, page: PageContext): void {
  app.get('/accounts', async (request, reply) => {
    const search = field(request.query, 'q').trim().slice(0, 200);
    const after = field(request.query, 'after') || undefined;
    const usage = await loadKeyUsage(page.db, {
      ...(search ? { search } : {}),
      ...(after === undefined ? {} : { after }),
    });
    return page.render(request, reply, 'accounts', {
      title: 'Accounts and API keys',
      days: USAGE_DAYS,
      search,
      perPage: ACCOUNTS_PER_PAGE,
      accounts: usage.accounts,
      matching: usage.matching,
      isFirstPage: after === undefined,
      firstPageLink: accountsLink(search),
      nextLink: usage.next === undefined ? undefined : accountsLink(search, usage.next),
    });
  });
}
