/**
 * The rejection of a message as a whole (no template index): opened for staff when a message is
 * refused, cannot be answered, or could not be processed at all; closed when staff reprocess it.
 */
import { and, eq, isNull } from 'drizzle-orm';
import { type Executor, tables } from '../db/index.ts';
import type { Problem } from '../shared/index.ts';

function wholeMessage(submissionId: string) {
  return and(eq(tables.rejections.submissionId, submissionId), isNull(tables.rejections.templateIndex));
}

/** Opens it, or reopens it with today's reason (refused again after staff reprocessed it). */
export async function openWholeMessageRejection(
  tx: Executor,
  submissionId: string,
  refusal: Problem,
  sender: string | null,
): Promise<void> {
  const [existing] = await tx
    .select({ id: tables.rejections.id })
    .from(tables.rejections)
    .where(wholeMessage(submissionId));
  const values = { reasonCode: refusal.code, reason: refusal.message, sender };
  if (!existing) {
    await tx.insert(tables.rejections).values({ submissionId, templateIndex: null, ...values });
    return;
  }
  await tx
    .update(tables.rejections)
    .set({ ...values, state: 'open', closedAt: null, closedBy: null })
    .where(eq(tables.rejections.id, existing.id));
}

export async function closeWholeMessageRejection(
  tx: Executor,
  submissionId: string,
  staff: { readonly email: string; readonly note: string },
): Promise<void> {
  await tx
    .update(tables.rejections)
    .set({
      state: 'reprocessed',
      closedBy: `staff:${staff.email}`,
      closedAt: new Date(),
      staffNotes: staff.note,
    })
    .where(and(wholeMessage(submissionId), eq(tables.rejections.state, 'open')));
}
