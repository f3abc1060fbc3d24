/**
 * What the staff console shows and does about validation: the POCs due, pending and invalid
 * (with counts), each POC's state and history, and "mark validated" (audited, with a note).
 */
import { asc, count, desc, eq, inArray, type SQL, sql } from 'drizzle-orm';
import { type Database, type PocValidationState, tables } from '../db/index.ts';
import { type Problem, problem, type Result } from '../shared/index.ts';
import { validatePoc } from './answers.ts';
import { dueCondition } from './due.ts';

export interface PocListed {
  readonly handle: string;
  readonly name: string;
  readonly emails: readonly string[];
  readonly invalidEmails: readonly string[];
  readonly validatedAt: Date | null;
  /** The latest request's answer deadline, for pending and invalid POCs. */
  readonly deadline: Date | null;
}

export interface ValidationOverview {
  readonly asOf: Date;
  readonly counts: { readonly due: number; readonly pending: number; readonly invalid: number };
  readonly due: readonly PocListed[];
  readonly pending: readonly PocListed[];
  readonly invalid: readonly PocListed[];
}

const LIST = 100;

export async function validationOverview(db: Database, asOf: Date): Promise<ValidationOverview> {
  const { pocs } = tables;
  const listed = {
    handle: pocs.handle,
    lastName: pocs.lastName,
    firstName: pocs.firstName,
    emails: pocs.emails,
    invalidEmails: pocs.invalidEmails,
    validatedAt: pocs.validatedAt,
    deadline: sql<
      string | null
    >`(select max(v.deadline) from poc_validations v where v.poc_handle = ${pocs.handle})`,
  };
  const list = (where: SQL) =>
    db.select(listed).from(pocs).where(where).orderBy(asc(pocs.handle)).limit(LIST);
  const total = async (where: SQL) => (await db.select({ n: count() }).from(pocs).where(where))[0]?.n ?? 0;
  const pendingWhere = eq(pocs.validationState, 'pending');
  const invalidWhere = eq(pocs.validationState, 'invalid');
  const [due, pending, invalid, dueCount, pendingCount, invalidCount] = await Promise.all([
    list(dueCondition(asOf)),
    list(pendingWhere),
    list(invalidWhere),
    total(dueCondition(asOf)),
    total(pendingWhere),
    total(invalidWhere),
  ]);
  const shape = (rows: Awaited<ReturnType<typeof list>>): PocListed[] =>
    rows.map((r) => ({
      handle: r.handle,
      name: [r.firstName, r.lastName].filter(Boolean).join(' '),
      emails: r.emails,
      invalidEmails: r.invalidEmails,
      validatedAt: r.validatedAt,
      deadline: r.deadline === null ? null : new Date(r.deadline),
    }));
  return {
    asOf,
    counts: { due: dueCount, pending: pendingCount, invalid: invalidCount },
    due: shape(due),
    pending: shape(pending),
    invalid: shape(invalid),
  };
}

export interface PocValidationRecord {
  readonly handle: string;
  readonly state: PocValidationState;
  readonly validatedAt: Date | null;
  readonly invalidEmails: readonly string[];
  /** Every validation mail, newest first: round, sent, deadline, state, how and when answered. */
  readonly requests: readonly (typeof tables.pocValidations.$inferSelect)[];
}

/** Each POC's state and validation history, for the look-up page. */
export async function validationHistory(
  db: Database,
  handles: readonly string[],
): Promise<Map<string, PocValidationRecord>> {
  const out = new Map<string, PocValidationRecord>();
  if (handles.length === 0) return out;
  const { pocs, pocValidations } = tables;
  const [rows, requests] = await Promise.all([
    db
      .select({
        handle: pocs.handle,
        state: pocs.validationState,
        validatedAt: pocs.validatedAt,
        invalidEmails: pocs.invalidEmails,
      })
      .from(pocs)
      .where(inArray(pocs.handle, [...handles])),
    db
      .select()
      .from(pocValidations)
      .where(inArray(pocValidations.pocHandle, [...handles]))
      .orderBy(desc(pocValidations.sentAt), desc(pocValidations.id)),
  ]);
  for (const row of rows) {
    out.set(row.handle, { ...row, requests: requests.filter((r) => r.pocHandle === row.handle) });
  }
  return out;
}

/** Staff mark a POC validated (a phone call, a letter): audited as theirs, with their note. */
export async function markValidatedByStaff(
  db: Database,
  handle: string,
  staff: { readonly email: string; readonly note: string },
): Promise<Result<Date, Problem>> {
  const note = staff.note.trim();
  if (!note) {
    return {
      ok: false,
      error: problem(
        'E_NOTE_REQUIRED',
        'write a note: how the POC confirmed its record; it goes to the audit log with your name',
      ),
    };
  }
  return db.transaction(async (tx) => {
    const [poc] = await tx
      .select({ handle: tables.pocs.handle })
      .from(tables.pocs)
      .where(eq(tables.pocs.handle, handle))
      .for('update');
    if (!poc) return { ok: false, error: problem('E_OBJECT_NOT_FOUND', `there is no POC ${handle}`) };
    const until = await validatePoc(tx, handle, {
      via: 'staff',
      actor: `staff:${staff.email}`,
      now: new Date(),
      note,
    });
    return { ok: true, value: until };
  });
}
