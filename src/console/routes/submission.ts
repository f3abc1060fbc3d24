/** The submission page and the staff actions on its rejections (each redirects back with the outcome). */
import { eq } from 'drizzle-orm';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { tables } from '../../db/index.ts';
import { dismiss, type JobAction, runJobAction, waivableCodes } from '../actions.ts';
import { checkEdit } from '../edit-check.ts';
import { hideKeys } from '../key-hiding.ts';
import type { PageContext } from '../server.ts';
import { type Flash, setFlash } from '../sessions.ts';
import { loadSubmissionView } from '../submission-view.ts';
import { diffLines } from '../text-diff.ts';
import { undoStaffAction } from '../undo.ts';
import { field, fields, rowId } from './form.ts';
import { keptFilters } from './queue.ts';

type IdParams = { Params: { id: string } };

/** The edit as posted: the whole text, and the version it was written on. */
function readEdit(body: unknown): { text: string; basedOnVersion: number } | { error: string } {
  const basedOnVersion = rowId(field(body, 'basedOn'));
  if (basedOnVersion === undefined) {
    return { error: 'the form did not say which version it edits: reload the page' };
  }
  return { text: field(body, 'text'), basedOnVersion };
}

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
    const id = rowId(request.params.id);
    const [rejection] =
      id !== undefined
        ? await page.db
            .select({ submissionId: tables.rejections.submissionId })
            .from(tables.rejections)
            .where(eq(tables.rejections.id, id))
        : [];
    if (!rejection || id === undefined) {
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
  jobRoute('override', (body) => ({
    kind: 'override',
    waive: fields(body, 'waive'),
    seen: field(body, 'seen'),
  }));
  jobRoute('reject', (body) => ({ kind: 'reject', reason: field(body, 'reason') }));
  /**
   * An edit is shown before it is applied: the changes against what the customer sent and
   * against the current version, then a confirm button that posts the same text with
   * `step=apply`. Nothing is claimed or queued until then.
   */
  app.post<IdParams>('/rejections/:id/edit', async (request, reply) => {
    if (field(request.body, 'step') === 'apply') {
      return act(request, reply, async (rejectionId) => {
        const edit = readEdit(request.body);
        if ('error' in edit) return { kind: 'error', text: `Nothing done: ${edit.error}.` };
        return await runJobAction(
          page.actions,
          request.staff!,
          rejectionId,
          {
            kind: 'edit-and-apply',
            ...edit,
            waive: fields(request.body, 'waive'),
            seen: field(request.body, 'seen'),
          },
          { note: field(request.body, 'note'), message: field(request.body, 'message') },
        );
      });
    }
    return await previewEdit(request, reply);
  });

  const previewEdit = async (request: FastifyRequest<IdParams>, reply: FastifyReply) => {
    const id = rowId(request.params.id);
    const [rejection] =
      id !== undefined
        ? await page.db.select().from(tables.rejections).where(eq(tables.rejections.id, id))
        : [];
    const edit = readEdit(request.body);
    const checked =
      rejection && rejection.state === 'open' && rejection.templateIndex !== null && !('error' in edit)
        ? await checkEdit(
            page.db,
            { submissionId: rejection.submissionId, templateIndex: rejection.templateIndex },
            edit,
          )
        : undefined;
    if (!rejection || !checked?.ok || 'error' in edit) {
      // Back where the form was, saying why; the act() path explains a missing rejection alike.
      return act(request, reply, async () => ({
        kind: 'error',
        text: `Nothing to show: ${
          'error' in edit
            ? edit.error
            : checked && !checked.ok
              ? checked.error.message
              : rejection && rejection.state !== 'open'
                ? `rejection ${rejection.id} is already ${rejection.state}; reload the page to see the current state`
                : 'this rejection refused the whole message; there is no template to edit'
        }.`,
      }));
    }
    const { customer, current } = checked.value;
    // As every action keeps them: the queue's filters rebuilt, nothing passed through as posted.
    const posted = field(request.body, 'queue');
    const queue = posted ? keptFilters(posted) || '?' : '';
    return await page.render(request, reply, 'edit-preview', {
      title: `Edit of template ${rejection.templateIndex}`,
      rejection,
      queue,
      text: edit.text,
      basedOn: edit.basedOnVersion,
      // Staff's text is shown with keys hidden like the customer's (a key pasted in is not echoed).
      againstCustomer: diffLines(customer.text, hideKeys(edit.text).text),
      againstCurrent: current.version > 1 ? diffLines(current.text, hideKeys(edit.text).text) : undefined,
      current,
      note: field(request.body, 'note'),
      message: field(request.body, 'message'),
      waive: fields(request.body, 'waive'),
      seen: field(request.body, 'seen'),
    });
  };

  /** Undo of a staff action from its audit row: back to the rejection it reopened, or explains why not. */
  app.post<IdParams>('/audit/:id/undo', async (request, reply) => {
    const staff = request.staff!;
    const id = rowId(request.params.id);
    const undone =
      id !== undefined
        ? await undoStaffAction(page.actions, staff, id, {
            note: field(request.body, 'note'),
            message: field(request.body, 'message'),
          })
        : { flash: { kind: 'error' as const, text: `Audit row ${request.params.id} does not exist.` } };
    await setFlash(page.db, staff.tokenDigest, undone.flash);
    if (!undone.submissionId) return reply.redirect('/rejections', 303);
    const queue = field(request.body, 'queue');
    const kept = queue ? `?queue=${encodeURIComponent(keptFilters(queue) || '?')}` : '';
    return reply.redirect(
      `/submissions/${encodeURIComponent(undone.submissionId)}${kept}#rejection-${undone.rejectionId}`,
      303,
    );
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
