/** The submission page and the staff actions on its rejections (each redirects back with the outcome). */
import { eq } from 'drizzle-orm';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { tables } from '../../db/index.ts';
import { dismiss, type JobAction, parseFieldNumber, runJobAction, waivableCodes } from '../actions.ts';
import type { PageContext } from '../server.ts';
import { type Flash, setFlash } from '../sessions.ts';
import { loadSubmissionView } from '../submission-view.ts';
import { field, fields } from './form.ts';
import { keptFilters } from './queue.ts';

type IdParams = { Params: { id: string } };

function readEdits(body: unknown): Result {
  const numbers = fields(body, 'field');
  const values = fields(body, 'value');
  const edits: Record<string, string> = {};
  for (const [i, rawNumber] of numbers.entries()) {
    if (!rawNumber.trim()) continue;
    const number = parseFieldNumber(rawNumber);
    if (!number) return { error: `"${rawNumber}" is not a field number (write it as on the form, e.g. 03)` };
    edits[number] = (values[i] ?? '').trim();
  }
  return { edits };
}
type Result = { edits: Record<string, string> } | { error: string };

export function registerSubmissionRoutes(app: FastifyInstance, page: PageContext): void {
  app.get<IdParams>('/submissions/:id', async (request, reply) => {
    const view = await loadSubmissionView(page.db, request.params.id);
    if (!view) {
      return await page.render(request, reply.code(404), 'error', {
        title: 'No such submission',
        message: `There is no submission ${request.params.id}.`,
      });
    }
    // Come from the queue: its filters ride along, for "next item" and through every action.
    const queue = field(request.query, 'queue');
    const kept = queue ? keptFilters(queue) : '';
    const skip = `skip=${encodeURIComponent(view.submission.id)}`;
    return await page.render(request, reply, 'submission', {
      title: `Submission ${view.submission.id}`,
      queue: queue ? kept || '?' : '',
      nextItemLink: queue ? `/rejections/next${kept ? `${kept}&` : '?'}${skip}` : undefined,
      view,
      waivableCodes,
    });
  });

  /** Runs one action on a rejection, keeps its one-sentence outcome for the next page, and goes back. */
  const act = async (
    request: FastifyRequest<IdParams>,
    reply: FastifyReply,
    run: (rejectionId: number) => Promise<Flash>,
  ): Promise<FastifyReply> => {
    const staff = request.staff!;
    const id = Number(request.params.id);
    const [rejection] = Number.isSafeInteger(id)
      ? await page.db
          .select({ submissionId: tables.rejections.submissionId })
          .from(tables.rejections)
          .where(eq(tables.rejections.id, id))
      : [];
    if (!rejection) {
      await setFlash(page.db, staff.tokenDigest, {
        kind: 'error',
        text: `Rejection ${request.params.id} does not exist.`,
      });
      return reply.redirect('/rejections', 303);
    }
    const flash = await run(id);
    await setFlash(page.db, staff.tokenDigest, flash);
    const queue = field(request.body, 'queue');
    const kept = queue ? `?queue=${encodeURIComponent(keptFilters(queue) || '?')}` : '';
    return reply.redirect(
      `/submissions/${encodeURIComponent(rejection.submissionId)}${kept}#rejection-${id}`,
      303,
    );
  };

  const jobRoute = (path: string, toAction: (body: unknown) => JobAction | { error: string }) =>
    app.post<IdParams>(`/rejections/:id/${path}`, async (request, reply) =>
      act(request, reply, async (rejectionId) => {
        const action = toAction(request.body);
        if ('error' in action) return { kind: 'error', text: `Nothing done: ${action.error}.` };
        return await runJobAction(page.actions, request.staff!, rejectionId, action, {
          note: field(request.body, 'note'),
          message: field(request.body, 'message'),
        });
      }),
    );

  jobRoute('reprocess', () => ({ kind: 'reprocess' }));
  jobRoute('override', (body) => ({ kind: 'override', waive: fields(body, 'waive') }));
  jobRoute('reject', (body) => ({ kind: 'reject', reason: field(body, 'reason') }));
  jobRoute('edit', (body) => {
    const read = readEdits(body);
    if ('error' in read) return read;
    return { kind: 'edit-and-apply', fieldValues: read.edits, waive: fields(body, 'waive') };
  });

  app.post<IdParams>('/rejections/:id/dismiss', async (request, reply) =>
    act(request, reply, (rejectionId) =>
      dismiss(page.actions, request.staff!, rejectionId, {
        note: field(request.body, 'note'),
        answer: field(request.body, 'answer'),
      }),
    ),
  );
}
