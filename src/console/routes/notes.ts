/** Notes to hostmaster on templates that were not refused (staff-notes.ts): the list, and marking one read. */
import type { FastifyInstance } from 'fastify';
import { checkNote } from '../actions.ts';
import type { PageContext } from '../server.ts';
import { setFlash } from '../sessions.ts';
import { listStaffNotes, markNoteRead } from '../staff-notes.ts';
import { field } from './form.ts';

export function registerNotesRoutes(app: FastifyInstance, page: PageContext): void {
  app.get('/notes', async (request, reply) => {
    const state = field(request.query, 'state') === 'all' ? 'all' : 'open';
    const q = field(request.query, 'q').slice(0, 200);
    const { notes, total } = await listStaffNotes(page.db, { state, q });
    return await page.render(request, reply, 'notes', {
      title: 'Notes to hostmaster',
      notes,
      total,
      state,
      q,
    });
  });

  app.post<{ Params: { ticket: string } }>('/notes/:ticket/read', async (request, reply) => {
    const staff = request.staff!;
    const note = checkNote(field(request.body, 'note'));
    const marked = note.ok ? await markNoteRead(page.db, staff, request.params.ticket, note.value) : note;
    await setFlash(
      page.db,
      staff.tokenDigest,
      marked.ok
        ? { kind: 'ok', text: marked.value }
        : { kind: 'error', text: `${marked.error.code}: ${marked.error.message}` },
    );
    return reply.redirect('/notes', 303);
  });
}
