/**
 * One template inside the caller's transaction (a message's, or a staff run's): authorize,
 * apply (the registry operation in its own savepoint), and the records it leaves: ticket, audit
 * rows, the `submission_templates` row that makes a re-run skip it, a rejection row for staff
 * when it was refused or held for review, and notices to the contacts it touched. The ticket
 * carries the template's Additional Information (a note to the hostmaster), applied or not.
 */
import { and, eq, sql } from 'drizzle-orm';
import { delegationAuthority, type Requester } from '../auth/index.ts';
import {
  type Database,
  type Executor,
  insertRows,
  preparedQuery,
  type RejectionState,
  type RowValues,
  type Submission,
  type TemplateOutcome,
  type TogetherWrite,
  type Transaction,
  tables,
  writeTogether,
} from '../db/index.ts';
import { outboxWrite } from '../outbox/index.ts';
import type {
  Actor,
  AuditRow,
  DelegationAuthority,
  HandleReservations,
  NewTicket,
  OperationContext,
  OperationOptions,
  Outcome,
  PlacedReassignment,
  TurnsHeld,
} from '../registry/index.ts';
import {
  allocateTicketNumber,
  auditRowsWrite,
  ticketsWrite,
  toAuditJson,
  turnsLiteral,
  turnsTaken,
} from '../registry/index.ts';
import type { OutgoingMail } from '../replies/index.ts';
import type { ErrorCode, Problem, Result } from '../shared/index.ts';
import { problem } from '../shared/index.ts';
import {
  fieldWords,
  type ParsedTemplate,
  requestSubjects,
  type TemplateRequest,
} from '../templates/index.ts';
import { validatedByTemplate, validationGate } from '../validation/index.ts';
import { STAFF_REVIEW_CODE } from './decision-codes.ts';
import { DRY_RUN_TICKET, dryRunNumbers } from './dry-run-numbers.ts';
import { handlerFor } from './handlers.ts';
import { hideKeysBeforeStoring, KEY_HIDDEN_NOTE } from './hide-keys.ts';
import { holderNotices } from './holder-notices.ts';
import {
  type ComposedNotices,
  heldNoticeNote,
  type Notice,
  type NoticeComposer,
  noticesFor,
} from './notices.ts';
import type { TemplateResult } from './outcome.ts';
import { inPhase, timedSync } from './phase-times.ts';
import { pinToField } from './problem-fields.ts';
import { type Approval, supersedeWrite } from './superseded.ts';

export { STAFF_REVIEW_CODE } from './decision-codes.ts';

export interface TemplateRun {
  readonly submissionId: string;
  readonly template: ParsedTemplate;
  /** The identified requester, or why nobody could be identified. */
  readonly requester: Requester;
  readonly sender: string | undefined;
  /**
   * Staff actions: who acts (audit), and what an open rejection of this template becomes once
   * the template is approved (the console claims it first; a job queued any other way is closed here).
   */
  readonly staff?: {
    readonly email: string;
    /** For the audit log only: never mailed. */
    readonly note: string;
    /** What staff typed for the sender, if anything: the reply's only staff words. */
    readonly message?: string;
    readonly closesAs: Exclude<RejectionState, 'open'>;
  };
  readonly options?: OperationOptions;
  /** Staff actions run a refused template again: its earlier result is replaced (never an approved one). */
  readonly replace?: boolean;
}

export function formLabel(t: ParsedTemplate): string {
  return t.form && t.version ? `${t.form}-${t.version}` : t.formAsWritten || 'unknown form';
}

type StoredRow = typeof tables.submissionTemplates.$inferSelect;

function toTemplateResult(row: StoredRow): TemplateResult {
  return {
    index: row.templateIndex,
    form: row.formVersion ? `${row.form}-${row.formVersion}` : row.form,
    outcome: row.outcome,
    ticket: row.ticketNumber ?? '',
    handles: row.handles,
    errors: row.errors.map((e) => ({ ...e, code: e.code as ErrorCode })),
    notes: row.notes,
    echo: row.echo,
  };
}

export async function storedResult(
  ex: Executor,
  submissionId: string,
  index: number,
): Promise<TemplateResult | undefined> {
  const [row] = await ex
    .select()
    .from(tables.submissionTemplates)
    .where(
      and(
        eq(tables.submissionTemplates.submissionId, submissionId),
        eq(tables.submissionTemplates.templateIndex, index),
      ),
    );
  return row ? toTemplateResult(row) : undefined;
}

/**
 * `WITH claim AS (INSERT INTO used_dkim_signatures ...)`: records the signatures as used by the
 * submission, answering for each who used it first (see lockSubmission).
 */
function signatureClaim(tx: Transaction, id: string, signatures: readonly string[]) {
  const { usedDkimSignatures } = tables;
  return tx.$with('claim').as(
    tx
      .insert(usedDkimSignatures)
      .values(signatures.map((signature) => ({ signature, submissionId: id })))
      .onConflictDoUpdate({
        target: usedDkimSignatures.signature,
        set: { signature: sql`excluded.signature` },
      })
      .returning({ submissionId: usedDkimSignatures.submissionId }),
  );
}

/** The statement's rows: the submission's state, once per stored template (or once, with none). */
interface LockRow {
  readonly state: Submission['state'];
  readonly stored: StoredRow | null;
  readonly usedBy: string | null;
  /** How many of the turns asked for the statement took (turns.ts). */
  readonly turns: number;
  /** The setting asked for the rest of the transaction (PLANNED_ONCE); read by nobody. */
  readonly plannedOnce: string;
}

/**
 * Asked of the message's transaction by its first statement, the lock: the statements after it
 * (its reassignments placed together, its POCs, its last writes) are planned once per session
 * and kept (`plan_cache_mode = force_generic_plan`, transaction-local like SET LOCAL; no statement
 * more). The two largest take all their rows from one JSON parameter, so a plan made for the
 * values is no better than one made without them, but PostgreSQL's own choice (`auto`) went back
 * to planning them on most executions after autovacuum analysed the growing tables (~1 ms of the
 * server's CPU a message: bench/results/before-after.md, tenth round). Only for this transaction:
 * statements whose best plan depends on their values (the sweeper's `received_at < $3`) keep
 * `auto` outside it.
 */
const PLANNED_ONCE = sql<string>`set_config('plan_cache_mode', 'force_generic_plan', true)`;

/** The lock of a message that records no signature (most): built once (src/db/prepared.ts). */
const lock = preparedQuery<{ id: string; turns: string }, LockRow[]>('worker_lock_submission', (ex) => {
  const { submissions, submissionTemplates } = tables;
  return ex
    .select({
      state: submissions.state,
      stored: submissionTemplates,
      usedBy: sql<string | null>`NULL::text`,
      turns: turnsTaken(sql.placeholder('turns')),
      plannedOnce: PLANNED_ONCE,
    })
    .from(submissions)
    .leftJoin(submissionTemplates, eq(submissionTemplates.submissionId, submissions.id))
    .where(eq(submissions.id, sql.placeholder('id')))
    .for('no key update', { of: submissions });
});

/** The lock recording the message's DKIM signatures as used (its rows vary with their number). */
function lockClaimingSignatures(
  tx: Transaction,
  id: string,
  signatures: readonly string[],
  turns: string,
): Promise<LockRow[]> {
  const { submissions, submissionTemplates } = tables;
  const claim = signatureClaim(tx, id, signatures);
  return tx
    .with(claim)
    .select({
      state: submissions.state,
      stored: submissionTemplates,
      usedBy: sql<string | null>`(SELECT coalesce(${claim.submissionId}, '') FROM ${claim}
            WHERE ${claim.submissionId} IS DISTINCT FROM ${id} ORDER BY 1 LIMIT 1)`,
      turns: turnsTaken(turns),
      plannedOnce: PLANNED_ONCE,
    })
    .from(submissions)
    .leftJoin(submissionTemplates, eq(submissionTemplates.submissionId, submissions.id))
    .where(eq(submissions.id, id))
    .for('no key update', { of: submissions });
}

/** What `lockSubmission` answers. */
export interface LockedSubmission {
  readonly state: Submission['state'] | undefined;
  readonly stored: Map<number, TemplateResult>;
  /**
   * One of the DKIM signatures it was asked to record was already used by another message: that
   * submission's id ('' when that submission is no longer kept). Absent when every signature is
   * this submission's.
   */
  readonly signatureUsedBy?: string;
  /** The turns asked for, now held until the transaction ends; empty when the statement found no row. */
  readonly turnsHeld: TurnsHeld;
}

/**
 * The submission's state and what its templates already did, its row locked until the
 * transaction ends (one round trip). Two runs of one submission (a stalled job taken over while
 * its first run still works, a duplicate job, a staff action) thereby take turns: the second
 * waits here, then finds the first one's results instead of applying the templates again. `no key update` leaves the foreign-key checks of other
 * transactions' outbox or rejection rows (key share) unblocked.
 *
 * Given the DKIM signatures that authorized the message (`Requester.dkimSignatures`), the same
 * statement records them as used by this submission (`used_dkim_signatures`), so they are
 * recorded if and only if the message's changes commit. A signature already recorded answers
 * who recorded it: this submission (another run of it, which committed first) or another
 * (`signatureUsedBy`: a replay). Two copies run at once take turns on the signature's key: the
 * second waits until the first commits, then finds it (`ON CONFLICT DO UPDATE` locks and returns
 * the committed row, where `DO NOTHING` would return nothing), or inserts it when the first was
 * undone.
 *
 * Given the turns of the message's POC N and ORG N (registry/turns.ts, `turnsAhead`), the same
 * statement waits for them, a round trip each saved; `turnsHeld` says they are held.
 */
export async function lockSubmission(
  tx: Transaction,
  id: string,
  signatures: readonly string[] = [],
  turns: ReadonlySet<string> = NO_TURNS,
): Promise<LockedSubmission> {
  const literal = turnsLiteral(turns);
  const rows =
    signatures.length > 0
      ? await lockClaimingSignatures(tx, id, signatures, literal)
      : await lock(tx, { id, turns: literal });
  const stored = new Map<number, TemplateResult>();
  for (const row of rows) if (row.stored) stored.set(row.stored.templateIndex, toTemplateResult(row.stored));
  const usedBy = rows[0]?.usedBy ?? null;
  // Held only when the statement says it took every one (it takes none when it finds no row).
  const turnsHeld = turns.size > 0 && Number(rows[0]?.turns) === turns.size ? turns : NO_TURNS;
  return {
    state: rows[0]?.state,
    stored,
    ...(usedBy !== null ? { signatureUsedBy: usedBy } : {}),
    turnsHeld,
  };
}

const NO_TURNS: ReadonlySet<string> = new Set();

/**
 * Who may ask (or, for a new net, the authority the registry checks on the parent it places it
 * under), the POC validation hold, then the registry operation: a template's answer from the
 * registry, an outcome or the first problem found.
 */
async function authorizeAndApply(
  tx: Transaction,
  run: TemplateRun,
  request: TemplateRequest,
  context: OperationContext,
  options: OperationOptions,
  validatedPoc: boolean,
): Promise<Result<Outcome, Problem>> {
  const handler = handlerFor(request.kind);
  const waived = new Set(run.options?.waive ?? []);
  // Authority over a new net's parent is checked by the registry, on the parent it places the
  // net under (the statement that locks it); every other kind is checked here, before anything.
  let delegation: DelegationAuthority | undefined;
  if (!waived.has('E_NOT_AUTHORIZED')) {
    if (handler.checks === 'at-placement') {
      delegation = delegationAuthority(run.requester.accountId);
    } else {
      const allowed = await inPhase('templates: authorized', () =>
        handler.authorize(tx, run.requester, request as never),
      );
      if (!allowed.ok) return allowed;
    }
    // An account whose every POC went invalid may only fix or validate those POCs (src/validation),
    // until a POC template M earlier in the same message validated one.
    const held = validatedPoc
      ? undefined
      : await inPhase('templates: POC validation gate', () => validationGate(tx, run.requester, request));
    if (held) return { ok: false, error: held };
  }
  return inPhase('templates: registry operations (POC statements, placed rows judged)', () =>
    handler.apply(tx, context, request as never, { ...options, ...(delegation ? { delegation } : {}) }),
  );
}

/**
 * Reading's problems (by line, a closing E_TOO_MANY_PROBLEMS last) with the registry's, each
 * after every problem on its line or an earlier one: one list by line, as the reply promises.
 */
function mergedByLine(read: readonly Problem[], registry: readonly Problem[]): Problem[] {
  const merged = [...read];
  for (const p of registry) {
    const line = p.line ?? Number.POSITIVE_INFINITY;
    let at = merged.length;
    while (at > 0 && (merged[at - 1]!.code === 'E_TOO_MANY_PROBLEMS' || (merged[at - 1]!.line ?? 0) > line))
      at--;
    merged.splice(at, 0, p);
  }
  return merged;
}

/** Savepoint names of the checks below, unique within the process. */
let checksAsRead = 0;

/**
 * A template refused at reading: what the registry says of the request its other fields make
 * (`ParsedTemplate.checkedAsRead`), so that the first reply names every independent problem
 * (a range outside the sender's space beside a wrong country code, a POC that does not exist
 * beside a wrong Origin AS) and the sender needs one round trip, not two. The operation runs as a
 * dry run in a savepoint that is always rolled back: nothing is written, no number taken, no
 * audit row kept. A problem the registry pins to a refused field is left out (it judged a value
 * the sender did not give), so is its E_MISSING_FIELD (the field left out may be the refused
 * one), and so is a request it would accept or hold for review: the
 * template is refused all the same, for its field errors.
 */
async function registryProblemsAsRead(
  tx: Transaction,
  run: TemplateRun,
  actor: Actor,
  request: TemplateRequest,
  validatedPoc: boolean,
): Promise<Problem[]> {
  const { template } = run;
  const context: OperationContext = {
    actor,
    ticketNumber: DRY_RUN_TICKET,
    submissionId: run.submissionId,
    pendingAudit: [],
    requesterAccount: run.requester.accountId,
    fieldWords: fieldWords(template.form, template.version),
  };
  const options: OperationOptions = {
    ...(run.options ?? {}),
    dryRun: run.options?.dryRun ?? dryRunNumbers(),
  };
  const name = sql.raw(`checks_as_read_${++checksAsRead}`);
  await tx.execute(sql`savepoint ${name}`);
  let answer: Result<Outcome, Problem>;
  try {
    answer = await authorizeAndApply(tx, run, request, context, options, validatedPoc);
  } finally {
    await tx.execute(sql`rollback to savepoint ${name}`);
  }
  if (answer.ok) return [];
  // Pinned as the request's own problem would be: the template's subject is the request's.
  const pinned = pinToField({ ...template, result: { ok: true, value: request } }, answer.error);
  const refused = new Set(template.refusedFields ?? []);
  // The registry's "a field is missing" or "nothing to change" about a request whose refused
  // fields were left out speaks of the refusal, not of the template: reading already said it.
  if (pinned.code === 'E_NOTHING_TO_CHANGE' || pinned.code === 'E_MISSING_FIELD') return [];
  if (pinned.field !== undefined && refused.has(pinned.field)) return [];
  return [pinned];
}

interface Decision {
  /** A resend of what the requester already holds: approved, nothing written, nobody notified. */
  readonly unchanged?: boolean;
  readonly outcome: TemplateOutcome;
  readonly handles: Readonly<Record<string, string>>;
  readonly errors: readonly Problem[];
  readonly notes: readonly string[];
  /** An applied operation's audit rows: the notices tell contacts old -> new from them. */
  readonly audit?: readonly AuditRow[];
}

async function decide(
  tx: Transaction,
  run: TemplateRun,
  ticket: string,
  actor: Actor,
  records: TemplateRecords,
  slot: TemplateSlot,
): Promise<Decision> {
  const { template } = run;
  const rejected = (errors: readonly Problem[]): Decision => ({
    outcome: 'rejected',
    handles: {},
    errors,
    notes: [],
  });
  if (!template.result.ok) {
    // A template whose reading already said as much as a reply may (E_TOO_MANY_PROBLEMS) is not
    // asked of the registry too: its answer would pass the cap the reply promises.
    const capped = template.result.error.some((p) => p.code === 'E_TOO_MANY_PROBLEMS');
    const asRead = capped ? undefined : template.checkedAsRead;
    const registry = asRead
      ? await inPhase('templates: registry checks of a template refused at reading', () =>
          registryProblemsAsRead(tx, run, actor, asRead, records.validatedPoc),
        )
      : [];
    return rejected(mergedByLine(template.result.error, registry));
  }
  const parsed = template.result.value;
  const { value: request, changed: keyHidden } = timedSync('templates: keys hidden before storing', () =>
    hideKeysBeforeStoring(parsed),
  );
  // The operation's audit rows are kept only if the operation is (see OperationContext).
  const pendingAudit: AuditRow[] = [];
  const context: OperationContext = {
    actor,
    ticketNumber: ticket,
    submissionId: run.submissionId,
    pendingAudit,
    reservedHandles: slot.reservedHandles,
    // A POC created here is linked to the requester's account (staff runs too: it is theirs).
    requesterAccount: run.requester.accountId,
    // A modify's answer names what changed in the words of the form the sender used.
    fieldWords: fieldWords(template.form, template.version),
    ...(slot.turnsHeld ? { turnsHeld: slot.turnsHeld } : {}),
  };
  const options: OperationOptions = {
    ...(run.options ?? {}),
    ...(slot.withoutSavepoint ? { withoutSavepoint: true } : {}),
    ...(slot.placed ? { placed: slot.placed } : {}),
  };
  const applied = await authorizeAndApply(tx, run, request, context, options, records.validatedPoc);
  if (!applied.ok) return rejected([pinToField(template, applied.error)]);
  if (applied.value.status === 'pending_review') {
    return { outcome: 'pending_review', handles: {}, errors: [], notes: [applied.value.reason] };
  }
  records.addAudit(pendingAudit);
  if (request.kind === 'poc.modify') {
    records.validatedPoc = true;
    await validatedByTemplate(tx, request.handle, {
      accountId: run.requester.accountId,
      submissionId: run.submissionId,
      ticketNumber: ticket,
    });
  }
  return {
    ...(applied.value.unchanged ? { unchanged: true } : {}),
    outcome: 'approved',
    handles: applied.value.handles,
    errors: [],
    notes: keyHidden ? [...applied.value.summary, KEY_HIDDEN_NOTE] : applied.value.summary,
    audit: pendingAudit,
  };
}

/**
 * What a reply says of a staff run: who decided (a run refused or held again approved nothing),
 * and the message staff wrote for the sender, if any. The note staff wrote for the audit log is
 * never among them: it may name other customers, phone calls, suspicions.
 */
function staffNotes(outcome: TemplateOutcome, message: string | undefined): string[] {
  const decided =
    outcome === 'approved' ? 'Approved by hostmaster staff.' : 'Looked at again by hostmaster staff.';
  const text = message?.trim();
  return text ? [decided, `Message from hostmaster staff: ${text}`] : [decided];
}

const TEMPLATE_COLUMNS = [
  'submissionId',
  'templateIndex',
  'form',
  'formVersion',
  'requestKind',
  'request',
  'echo',
  'outcome',
  'ticketNumber',
  'errors',
  'handles',
  'notes',
  'subjects',
] as const;
type TemplateRow = RowValues<typeof tables.submissionTemplates, typeof TEMPLATE_COLUMNS>;

const REJECTION_COLUMNS = [
  'submissionId',
  'templateIndex',
  'reasonCode',
  'reason',
  'form',
  'sender',
] as const;
type RejectionRow = RowValues<typeof tables.rejections, typeof REJECTION_COLUMNS>;
/** Refused again after a staff action: the same reason is open again, with today's words. */
const OPEN_AGAIN = sql`ON CONFLICT (submission_id, template_index, reason_code)
  DO UPDATE SET state = 'open', reason = excluded.reason, closed_at = NULL, closed_by = NULL`;

/**
 * What templates leave besides their registry changes and the links later templates of the same
 * message may lean on: the ticket, the `submission_templates` row, the rejection for staff, the
 * notices. Nothing reads them before the commit, so a message's templates write them together,
 * a few multi-row statements instead of several statements per template.
 */
export class TemplateRecords {
  private readonly tickets: (NewTicket & { readonly number: string })[] = [];
  private readonly templates: TemplateRow[] = [];
  private readonly rejections: RejectionRow[] = [];
  private readonly notices: Notice[] = [];
  private readonly audit: AuditRow[] = [];
  private readonly approvals: Approval[] = [];
  /** The notices' mail and those held, once rendered (composeNotices). */
  private composed: ComposedNotices | undefined;
  private notesAdded = false;
  /** A POC template M of this message was applied: its POC is valid now (src/validation's hold lifts). */
  validatedPoc = false;

  addTicket(row: NewTicket & { readonly number: string }): void {
    this.tickets.push(row);
  }
  addTemplate(row: TemplateRow): void {
    this.templates.push(row);
  }
  addRejection(row: RejectionRow): void {
    this.rejections.push(row);
  }
  /** The first refusal or hold gathered (code and the words staff are shown), if any. */
  firstRefusal(): { readonly code: string; readonly message: string } | undefined {
    const [first] = this.rejections;
    return first ? { code: first.reasonCode, message: first.reason } : undefined;
  }
  addNotices(notices: readonly Notice[]): void {
    for (const notice of notices) this.notices.push(notice);
  }
  addAudit(rows: readonly AuditRow[]): void {
    for (const row of rows) this.audit.push(row);
  }
  /** An approved template: earlier refusals of its account about the same thing close (superseded.ts). */
  addApproval(approval: Approval): void {
    this.approvals.push(approval);
  }

  /**
   * Renders the notices gathered and counts them against the limits, once: before the reply is
   * composed, so the reply can say which were kept for staff (heldNoticeNote). Each held notice's
   * note is added to its template's row as well, so the stored outcome says what the reply said.
   * Returns the notes by template index.
   */
  async composeNotices(composeNotices: NoticeComposer): Promise<ReadonlyMap<number, readonly string[]>> {
    this.composed ??=
      this.notices.length > 0
        ? await inPhase('records: notices rendered, their reply limit', () => composeNotices(this.notices))
        : { mails: [], held: [] };
    const notes = new Map<number, string[]>();
    for (const held of this.composed.held) {
      const index = held.notice.templateIndex;
      notes.set(index, [...(notes.get(index) ?? []), heldNoticeNote(held)]);
    }
    if (!this.notesAdded) {
      this.notesAdded = true;
      for (const [index, added] of notes) {
        const at = this.templates.findIndex((t) => t.templateIndex === index);
        const row = this.templates[at];
        if (row) this.templates[at] = { ...row, notes: [...(row.notes ?? []), ...added] };
      }
    }
    return notes;
  }
  /**
   * Writes everything gathered, with the notices' mail, in the caller's transaction: one
   * statement (`writeTogether`), ending with the caller's own mail (the reply) and last write
   * (the message's `done` mark), if any.
   */
  async write(
    tx: Transaction,
    composeNotices: NoticeComposer,
    end: {
      readonly submissionId?: string;
      readonly mails?: readonly OutgoingMail[];
      readonly last?: TogetherWrite;
    } = {},
  ): Promise<void> {
    await this.composeNotices(composeNotices);
    const noticeMails = this.composed?.mails ?? [];
    const submissionId = end.submissionId ?? this.notices[0]?.submissionId;
    // Every write, with rows or none, so that the statement's text is always the same (built
    // once, prepared by the server); see src/db/write-together.ts.
    await inPhase('records: the one statement built (rows as JSON) and sent', () =>
      writeTogether(tx, [
        auditRowsWrite(this.audit),
        ticketsWrite(this.tickets),
        insertRows(tables.submissionTemplates, TEMPLATE_COLUMNS, this.templates),
        insertRows(tables.rejections, REJECTION_COLUMNS, this.rejections, { onConflict: OPEN_AGAIN }),
        outboxWrite([...noticeMails, ...(end.mails ?? [])], submissionId),
        supersedeWrite(this.approvals),
        ...(end.last ? [end.last] : []),
      ]),
    );
  }
}

/** The request as its row keeps it: plain JSON, keys hidden. */
function storedRequest(request: TemplateRequest): unknown {
  return timedSync('templates: keys hidden before storing', () => hideKeysBeforeStoring(toAuditJson(request)))
    .value;
}

/** A template not recorded yet, or run again by staff: what it already did, and its ticket. */
export interface TemplateSlot {
  readonly previous: TemplateResult | undefined;
  /** Taken before the transaction; absent for staff runs, which may keep the customer's ticket. */
  readonly ticket: string | undefined;
  /** Numbers of the message's new POCs, taken before the transaction (message runs only). */
  readonly reservedHandles?: HandleReservations;
  /**
   * Operations that refuse only before writing take no savepoint (OperationOptions
   * .withoutSavepoint): a message's first run, which is run again with savepoints if it fails.
   */
  readonly withoutSavepoint?: boolean;
  /** A new simple reassignment placed ahead with others of its message (reassignments-ahead.ts). */
  readonly placed?: PlacedReassignment;
  /** The turns of the message's creates, taken by its lock (lockSubmission). */
  readonly turnsHeld?: TurnsHeld;
}

/**
 * Applies one template inside the caller's transaction (a message's, or a staff run's) unless it
 * already ran, and gathers its records into `records`. The registry operation runs in a savepoint
 * of its own, so a refused template leaves nothing behind but its ticket and its rejection.
 */
export async function applyTemplate(
  tx: Transaction,
  run: TemplateRun,
  slot: TemplateSlot,
  records: TemplateRecords,
): Promise<TemplateResult> {
  const { template, submissionId } = run;
  const { previous } = slot;
  if (previous && !run.replace) return previous;
  let heldTicket: string | undefined;
  if (run.replace) {
    if (previous?.outcome === 'approved') return previous;
    // The customer already holds a ticket for this template (held for review, or refused): a
    // staff decision is recorded on it rather than on a new one, so one template keeps one
    // ticket however often staff look at it (docs/reply-format.md, "Answers after a staff action").
    if (previous?.ticket) heldTicket = previous.ticket;
    if (previous) {
      await tx
        .delete(tables.submissionTemplates)
        .where(
          and(
            eq(tables.submissionTemplates.submissionId, submissionId),
            eq(tables.submissionTemplates.templateIndex, template.index),
          ),
        );
    }
  }
  const actor: Actor = run.staff
    ? { kind: 'staff', email: run.staff.email }
    : { kind: 'account', accountId: run.requester.accountId };
  const ticket = heldTicket ?? slot.ticket ?? (await allocateTicketNumber(tx));
  // The parser and the registry quote fields back in errors and notes: a key typed into one must
  // not be stored or answered (docs/architecture.md section 5).
  const decided = await decide(tx, run, ticket, actor, records, slot);
  const decision = timedSync('templates: keys hidden before storing', () =>
    hideKeysBeforeStoring(decided),
  ).value;
  const resolution = decision.errors[0]?.message ?? decision.notes.join(' ');
  if (heldTicket) {
    await tx
      .update(tables.tickets)
      .set({
        status: decision.outcome,
        resolution: resolution || null,
        // The customer's note stays on the ticket; a staff edit that fills the line adds its own.
        ...(template.additionalInfo ? { additionalInfo: template.additionalInfo } : {}),
        closedAt: decision.outcome === 'pending_review' ? null : new Date(),
      })
      .where(eq(tables.tickets.number, ticket));
  } else {
    records.addTicket({
      number: ticket,
      submissionId,
      templateIndex: template.index,
      status: decision.outcome,
      resolution: resolution || null,
      additionalInfo: template.additionalInfo ?? null,
    });
  }
  const result: TemplateResult = {
    index: template.index,
    form: formLabel(template),
    outcome: decision.outcome,
    ticket,
    handles: decision.handles,
    errors: decision.errors,
    // What reading left aside (e.g. 02-19 skipped for an Org ID) comes first: it was decided first.
    notes: [
      ...template.notes,
      ...decision.notes,
      ...(run.staff ? staffNotes(decision.outcome, run.staff.message) : []),
    ],
    echo: template.echo,
  };
  records.addTemplate({
    submissionId,
    templateIndex: template.index,
    form: template.form ?? template.formAsWritten,
    formVersion: template.version ?? '',
    requestKind: template.result.ok ? template.result.value.kind : null,
    request: template.result.ok ? storedRequest(template.result.value) : null,
    echo: template.echo,
    outcome: decision.outcome,
    ticketNumber: ticket,
    errors: decision.errors.map((e) => ({ ...e })),
    handles: { ...decision.handles },
    notes: [...result.notes],
    // A template refused at reading is about what its fields that read name (the range, the
    // handle): the sender's corrected template, once approved, closes its rejection (superseded.ts).
    subjects: template.result.ok
      ? requestSubjects(template.result.value)
      : [...(template.subjectsRead ?? [])],
  });
  if (decision.outcome !== 'approved') {
    const first =
      decision.errors[0] ?? problem(STAFF_REVIEW_CODE, decision.notes[0] ?? 'held for staff review');
    records.addRejection({
      submissionId,
      templateIndex: template.index,
      reasonCode: first.code,
      reason: first.message,
      form: formLabel(template),
      sender: run.sender ?? null,
    });
  }
  if (decision.outcome === 'approved' && run.staff) {
    await tx
      .update(tables.rejections)
      .set({
        state: run.staff.closesAs,
        closedBy: `staff:${run.staff.email}`,
        closedAt: new Date(),
        staffNotes: run.staff.note,
      })
      .where(
        and(
          eq(tables.rejections.submissionId, submissionId),
          eq(tables.rejections.templateIndex, template.index),
          eq(tables.rejections.state, 'open'),
        ),
      );
  }
  if (decision.outcome === 'approved' && template.result.ok && !decision.unchanged) {
    const request = template.result.value;
    records.addApproval({
      account_id: run.requester.accountId,
      submission_id: submissionId,
      template_index: template.index,
      ticket,
      subjects: requestSubjects(request),
    });
    const notices = await inPhase('templates: notices gathered', () =>
      noticesFor(tx, request, decision.handles, {
        ticket,
        submissionId,
        index: template.index,
        summary: decision.notes,
        audit: decision.audit ?? [],
        words: fieldWords(template.form, template.version),
      }),
    );
    records.addNotices(notices);
    // Staff let the requester act in space it does not hold: the holder hears of it (holder-notices.ts).
    if (run.staff && run.options?.waive?.includes('E_NOT_AUTHORIZED')) {
      const told = new Set(notices.map((n) => n.handle));
      const holders = await holderNotices(tx, decision.audit ?? [], {
        ticket,
        submissionId,
        templateIndex: template.index,
        summaryLines: decision.notes,
      });
      records.addNotices(holders.filter((n) => !told.has(n.handle)));
    }
  }
  return result;
}

/**
 * Runs one template in a transaction of its own unless it already ran (then returns what it
 * did): staff actions, which touch one template of a message at a time.
 */
export async function runTemplate(
  db: Database,
  run: TemplateRun,
  composeNotices: NoticeComposer,
): Promise<TemplateResult> {
  const { template, submissionId } = run;
  // Staff runs may keep the ticket the customer already holds: they decide inside the transaction.
  const ticket = run.replace ? undefined : await allocateTicketNumber(db);
  return db.transaction(async (tx) => {
    const previous = (await lockSubmission(tx, submissionId)).stored.get(template.index);
    const records = new TemplateRecords();
    const result = await applyTemplate(tx, run, { previous, ticket }, records);
    await records.write(tx, composeNotices);
    return result;
  });
}
