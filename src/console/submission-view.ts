/**
 * Everything staff need about one submission on one page: envelope, headers, each template
 * with its parse result, the tickets, the replies sent, the rejections and the audit trail.
 */
import { and, asc, eq, or } from 'drizzle-orm';
import type { Database, StoredProblem } from '../db/index.ts';
import { tables } from '../db/index.ts';
import { type AuditEntryView, auditEntries } from './audit-view.ts';
import { hideKeysIn } from './key-hiding.ts';
import type { Header } from './raw-message.ts';
import { showRawMessages } from './raw-view.ts';
import { type TemplateVersionView, versionsOfSubmission } from './template-versions.ts';
import { UNDOABLE_ACTIONS } from './undo.ts';

type Row<T extends { $inferSelect: unknown }> = T['$inferSelect'];

export interface TemplateView {
  readonly index: number;
  readonly form: string;
  readonly formVersion: string;
  readonly requestKind: string | null;
  /** The typed request, pretty-printed, API keys redacted. */
  readonly requestJson: string | null;
  readonly echo: string;
  readonly outcome: string;
  readonly ticketNumber: string | null;
  readonly errors: readonly StoredProblem[];
  readonly handles: Readonly<Record<string, string>>;
  readonly appliedAt: Date;
}

/** One recipient of a reply and what became of it: `waiting` is still to be reached (a retry is due). */
export interface RecipientView {
  readonly address: string;
  readonly state: 'sent' | 'failed' | 'waiting';
  /** The relay's answer when it refused (for good, or for now); null when it took the mail. */
  readonly reply: string | null;
}

export interface ReplyView {
  /** The outbox row's id: what a retry names. */
  readonly id: number;
  readonly messageId: string;
  readonly kind: string;
  readonly recipients: readonly string[];
  readonly recipientStates: readonly RecipientView[];
  readonly state: string;
  readonly attempts: number;
  readonly lastError: string | null;
  readonly createdAt: Date;
  readonly sentAt: Date | null;
  readonly raw: string;
}

export interface SubmissionView {
  readonly submission: Omit<Row<typeof tables.submissions>, 'raw'>;
  readonly headers: readonly Header[];
  readonly raw: string;
  readonly templates: readonly TemplateView[];
  readonly tickets: readonly Row<typeof tables.tickets>[];
  readonly replies: readonly ReplyView[];
  readonly rejections: readonly Row<typeof tables.rejections>[];
  readonly audit: readonly AuditEntryView[];
  /** Each template's texts: version 1 as the customer sent it, then staff edits. */
  readonly versions: ReadonlyMap<number, readonly TemplateVersionView[]>;
  /** What this message answers of our mail, and the messages that answer this one's. */
  readonly links: {
    readonly answers: readonly Row<typeof tables.messageLinks>[];
    readonly answeredBy: readonly Row<typeof tables.messageLinks>[];
  };
}

export async function loadSubmissionView(db: Database, id: string): Promise<SubmissionView | undefined> {
  const [found] = await db.select().from(tables.submissions).where(eq(tables.submissions.id, id));
  if (!found) return undefined;
  const { raw, ...submission } = found;
  const t = tables.submissionTemplates;
  const ml = tables.messageLinks;
  const [templates, tickets, replies, rejections, audit, answers, answeredBy] = await Promise.all([
    db.select().from(t).where(eq(t.submissionId, id)).orderBy(asc(t.templateIndex)),
    db
      .select()
      .from(tables.tickets)
      .where(eq(tables.tickets.submissionId, id))
      .orderBy(asc(tables.tickets.templateIndex), asc(tables.tickets.number)),
    db.select().from(tables.outbox).where(eq(tables.outbox.submissionId, id)).orderBy(asc(tables.outbox.id)),
    db
      .select()
      .from(tables.rejections)
      .where(eq(tables.rejections.submissionId, id))
      .orderBy(asc(tables.rejections.id)),
    db
      .select()
      .from(tables.auditLog)
      .where(
        or(
          eq(tables.auditLog.submissionId, id),
          and(eq(tables.auditLog.objectType, 'submission'), eq(tables.auditLog.objectHandle, id)),
        ),
      )
      .orderBy(asc(tables.auditLog.at), asc(tables.auditLog.id)),
    db.select().from(ml).where(eq(ml.submissionId, id)).orderBy(asc(ml.id)),
    db.select().from(ml).where(eq(ml.answersSubmissionId, id)).orderBy(asc(ml.id)),
  ]);
  const versions = await versionsOfSubmission(
    db,
    id,
    submission.receivedAt,
    new Map(templates.map((row) => [row.templateIndex, row.echo])),
  );
  // The message and our replies (MIME too: quoted-printable, base64) read as the raw view reads
  // mail, in its thread.
  const [shown, ...repliesShown] = await showRawMessages([raw, ...replies.map((r) => Buffer.from(r.raw))]);
  return {
    versions,
    // Every text a sender wrote or that quotes them goes through hideKeys: a key written into a
    // Message-ID, an envelope address or an escaped form is hidden as in the raw view.
    submission: hideKeysIn(submission),
    headers: shown!.headers,
    raw: shown!.raw,
    // The rest, every column: a form name read off the Template line, a recipient taken from
    // Reply-To, a delivery error or audit note quoting either can hold a key.
    templates: hideKeysIn(
      templates.map((row) => ({
        index: row.templateIndex,
        form: row.form,
        formVersion: row.formVersion,
        requestKind: row.requestKind,
        requestJson: row.request === null ? null : JSON.stringify(row.request, null, 2),
        echo: row.echo,
        outcome: row.outcome,
        ticketNumber: row.ticketNumber,
        errors: row.errors,
        handles: row.handles,
        appliedAt: row.appliedAt,
      })),
    ),
    tickets: hideKeysIn(tickets),
    replies: replies.map((r, i) => ({
      ...hideKeysIn({
        id: r.id,
        messageId: r.messageId,
        kind: r.kind,
        recipients: r.recipients,
        recipientStates: recipientStates(r),
        state: r.state,
        attempts: r.attempts,
        lastError: r.lastError,
        createdAt: r.createdAt,
        sentAt: r.sentAt,
      }),
      raw: repliesShown[i]!.raw,
    })),
    rejections: hideKeysIn(rejections),
    audit: undoableMarked(await auditEntries(db, audit), rejections, templates),
    // A Message-ID of ours the sender named holds no key; theirs may, and is hidden like every header.
    links: { answers: hideKeysIn(answers), answeredBy: hideKeysIn(answeredBy) },
  };
}

/**
 * Marks the audit rows an undo is offered on: the last console action on a rejection, an
 * override or an edit, that left it overridden with its template approved, not undone yet.
 * (The undo checks all of it again under the submission's lock.)
 */
function undoableMarked(
  entries: AuditEntryView[],
  rejections: readonly Row<typeof tables.rejections>[],
  templates: readonly Row<typeof tables.submissionTemplates>[],
): AuditEntryView[] {
  const lastAction = new Map<string, number>();
  for (const e of entries) {
    if (e.row.objectType === 'rejection' && e.row.action.startsWith('console.'))
      lastAction.set(e.row.objectHandle, e.row.id);
  }
  return entries.map((e) => {
    if (!UNDOABLE_ACTIONS.includes(e.row.action) || lastAction.get(e.row.objectHandle) !== e.row.id) return e;
    const rejection = rejections.find((r) => String(r.id) === e.row.objectHandle);
    const template = templates.find((t) => t.templateIndex === rejection?.templateIndex);
    const undoable = rejection?.state === 'overridden' && template?.outcome === 'approved';
    return undoable ? { ...e, undoable } : e;
  });
}

/**
 * Each recipient's lot, as the outbox recorded it: a settled recipient by its outcome; one not
 * settled by the row (a `sent` row's last attempt reached them all; a `failed` row gave up on
 * them with its last error; a `pending` one still tries): a waiting recipient with the relay's
 * last answer for it as stored (`waiting_answers`), else the row's last error, which an attempt
 * that failed for the whole mail wrote for every recipient alike.
 */
function recipientStates(row: Row<typeof tables.outbox>): RecipientView[] {
  return row.recipients.map((address): RecipientView => {
    const outcome = row.recipientOutcomes[address];
    if (outcome)
      return { address, state: outcome.state, reply: outcome.state === 'failed' ? outcome.reply : null };
    if (row.state === 'sent') return { address, state: 'sent', reply: null };
    const reply = Object.hasOwn(row.waitingAnswers, address)
      ? row.waitingAnswers[address]!.reply
      : row.lastError;
    return { address, state: row.state === 'failed' ? 'failed' : 'waiting', reply };
  });
}
