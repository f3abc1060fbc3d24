/**
 * The annual POC validation for staff: the POCs due, pending and invalid with counts
 * (`/validation`, `?as-of=YYYY-MM-DD` to look ahead), and "mark validated" (audited, with a note)
 * from the look-up page, where each POC's state and history are shown.
 */
import type { FastifyInstance } from 'fastify';
import { POC_HANDLE } from '../../shared/index.ts';
import { markValidatedByStaff, validationOverview } from '../../validation/index.ts';
import { checkNote } from '../actions.ts';
import type { PageContext } from '../server.ts';
import { setFlash } from '../sessions.ts';
import { dayProblem, field, InputRefused } from './form.ts';

/** The day the overview is asked for (`as-of`), today when not given; a day not in the calendar is refused. */
function asOfFrom(query: unknown): Date {
  const raw = field(query, 'as-of').trim();
  const refused = dayProblem('as-of', raw);
  if (refused) throw new InputRefused(refused);
  return raw ? new Date(`${raw}T00:00:00Z`) : new Date();
}

export function registerValidationRoutes(app: FastifyInstance, page: PageContext): void {
  app.get('/validation', async (request, reply) => {
    const overview = await validationOverview(page.db, asOfFrom(request.query));
    return page.render(request, reply, 'validation', { title: 'POC validation', overview });
  });

  app.post<{ Params: { handle: string } }>('/validation/:handle/validate', async (request, reply) => {
    const staff = request.staff!;
    const handle = request.params.handle.toUpperCase();
    if (!POC_HANDLE.test(handle)) return reply.code(404).send('no such POC');
    const note = field(request.body, 'note');
    // Bounded as every staff note is (the look-up page shows each whole, mark after mark).
    const tooLong = checkNote(note);
    const marked =
      !tooLong.ok && tooLong.error.code === 'E_NOTE_TOO_LONG'
        ? tooLong
        : await markValidatedByStaff(page.db, handle, { email: staff.email, note });
    await setFlash(
      page.db,
      staff.tokenDigest,
      marked.ok
        ? {
            kind: 'ok',
            text: `POC ${handle} marked validated, until ${marked.value.toISOString().slice(0, 10)}.`,
          }
        : { kind: 'error', text: `${marked.error.code}: ${marked.error.message}` },
    );
    return reply.redirect(`/lookup?q=${encodeURIComponent(handle)}`, 303);
  });
}
