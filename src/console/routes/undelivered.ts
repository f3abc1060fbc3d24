/** Mail that could not be delivered (outbox rows `failed`): the list, and sending one again. */
import type { FastifyInstance } from 'fastify';
import type { PageContext } from '../server.ts';
import { setFlash } from '../sessions.ts';
import { countUndelivered, listUndelivered, retryUndelivered } from '../undelivered.ts';
import { field, rowId } from './form.ts';

type IdParams = { Params: { id: string } };

export function registerUndeliveredRoutes(app: FastifyInstance, page: PageContext): void {
  app.get('/undelivered', async (request, reply) => {
    const [mails, total] = await Promise.all([listUndelivered(page.db), countUndelivered(page.db)]);
    return await page.render(request, reply, 'undelivered', { title: 'Undelivered mail', mails, total });
  });

  /** Back to the submission the mail belongs to (or the list it was sent again from). */
  app.post<IdParams>('/outbox/:id/retry', async (request, reply) => {
    const staff = request.staff!;
    const id = rowId(request.params.id);
    const retried =
      id !== undefined
        ? await retryUndelivered(page.db, staff, id, { note: field(request.body, 'note') })
        : { flash: { kind: 'error' as const, text: `Mail ${request.params.id} does not exist.` } };
    await setFlash(page.db, staff.tokenDigest, retried.flash);
    const submissionId = retried.submissionId;
    if (field(request.body, 'back') === 'list' || !submissionId) return reply.redirect('/undelivered', 303);
    return reply.redirect(`/submissions/${encodeURIComponent(submissionId)}#outbox-${id}`, 303);
  });
}
