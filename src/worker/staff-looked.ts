/**
 * Staff decide on what the console showed them: a hold's reason ("NET-X still has 1
 * subdelegation(s) below it (NET-Y)"), a refusal's ("... OTHERISP-1, which holds NET-Z"). An
 * approval runs later, against the registry as it is then; if the template would now be held or
 * refused for other words (a customer registered a net below the one to be removed, the space
 * changed hands), the approval would decide something nobody looked at. So before applying, the
 * template is run once more without the waivers, in a savepoint that is always undone, and what
 * it would answer now is compared with what staff saw: the decision is refused (E_REVIEW_CONFLICT)
 * and the hold or refusal restated in its current words, for staff to look again, as an edit
 * written on an old version is refused (E_EDIT_CONFLICT).
 */
import { and, eq, sql } from 'drizzle-orm';
import { type Transaction, tables } from '../db/index.ts';
import { type ErrorCode, formatProblem, type Problem, problem } from '../shared/index.ts';
import { DRY_RUN_TICKET, dryRunNumbers } from './dry-run.ts';
import { applyTemplate, TemplateRecords, type TemplateRun } from './run-template.ts';

/** What staff approved no longer stands: the refusal or hold as it reads now. */
export interface LookedConflict {
  readonly index: number;
  readonly code: string;
  readonly seen: string;
  readonly now: string;
}

let looks = 0;

/** The refusal or hold the template would get now, without waivers; nothing it does is kept. */
async function refusalNow(
  tx: Transaction,
  run: TemplateRun,
): Promise<{ readonly code: string; readonly message: string } | undefined> {
  const name = sql.raw(`staff_look_${++looks}`);
  await tx.execute(sql`savepoint ${name}`);
  try {
    const records = new TemplateRecords();
    await applyTemplate(
      tx,
      { ...run, options: { dryRun: dryRunNumbers() }, replace: false },
      { previous: undefined, ticket: DRY_RUN_TICKET },
      records,
    );
    return records.firstRefusal();
  } finally {
    await tx.execute(sql`rollback to savepoint ${name}`);
    await tx.execute(sql`release savepoint ${name}`);
  }
}

/**
 * Whether the rule staff waive still reads as staff saw it. Only a refusal by a rule they waive
 * counts: one that no longer applies (the children were removed meanwhile) asks less than staff
 * agreed to, and any other refusal is answered by the run itself.
 */
export async function checkLooked(
  tx: Transaction,
  run: TemplateRun,
  waive: readonly ErrorCode[],
  seen: string,
): Promise<LookedConflict | undefined> {
  const now = await refusalNow(tx, run);
  if (!now || !(waive as readonly string[]).includes(now.code) || now.message === seen) return undefined;
  return { index: run.template.index, code: now.code, seen, now: now.message };
}

/**
 * The hold or refusal restated in today's words, on the rejection staff reopen and the stored
 * template, so the page shows what is there now and the next approval is measured against it.
 */
export async function restate(
  tx: Transaction,
  submissionId: string,
  conflict: LookedConflict,
): Promise<void> {
  const r = tables.rejections;
  await tx
    .update(r)
    .set({ reason: conflict.now })
    .where(
      and(
        eq(r.submissionId, submissionId),
        eq(r.templateIndex, conflict.index),
        eq(r.reasonCode, conflict.code),
      ),
    );
  const t = tables.submissionTemplates;
  const at = and(eq(t.submissionId, submissionId), eq(t.templateIndex, conflict.index));
  const [stored] = await tx.select({ notes: t.notes, errors: t.errors }).from(t).where(at);
  if (!stored) return;
  await tx
    .update(t)
    .set({
      notes: stored.notes.map((note) => (note === conflict.seen ? conflict.now : note)),
      errors: stored.errors.map((e) =>
        e.code === conflict.code && e.message === conflict.seen ? { ...e, message: conflict.now } : e,
      ),
    })
    .where(at);
}

export function lookedProblem(conflict: LookedConflict): Problem {
  return problem(
    'E_REVIEW_CONFLICT',
    `template ${conflict.index} no longer reads as the page you decided on showed it: you saw "${conflict.seen}", and now it is "${conflict.now}". Nothing was applied; the item is open again with the current words: look again and decide on what is there now`,
  );
}

export const lookedMessage = (conflict: LookedConflict): string => formatProblem(lookedProblem(conflict));
