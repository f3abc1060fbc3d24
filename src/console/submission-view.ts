/**
 * Everything staff need about one submission on one page: envelope, headers, each template
 * with its parse result, the tickets, the replies sent, the rejections and the audit trail.
 */
import { and, asc, eq, or } from 'drizzle-orm';
import type { Database, StoredProblem } from '../db/index.ts';
import { tables } from '../db/index.ts';
import { hideKeysIn } from './key-hiding.ts';
import type { Header } from './raw-message.ts';
import { showRawMessages } from './raw-view.ts';

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

export interface ReplyView {
  readonly messageId: string;
  readonly kind: string;
  readonly recipients: readonly string[];
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
  readonly audit: readonly Row<typeof tables.auditLog>[];
}

export async function loadSubmissionView(db: Database, id: string): Promise<SubmissionView | undefined> {
  const [found] = await db.select().from(tables.submissions).where(eq(tables.submissions.id, id));
  if (!found) return undefined;
  const { raw, ...submission } = found;
  const t = tables.submissionTemplates;
  const [templates, tickets, replies, rejections, audit] = await Promise.all([
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
  ]);
  // The message and our replies (MIME too: quoted-printable, base64) read as the raw view reads
  // mail, in its thread.
  const [shown, ...repliesShown] = await showRawMessages([raw, ...replies.map((r) => Buffer.from(r.raw))]);
  return {
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
        messageId: r.messageId,
        kind: r.kind,
        recipients: r.recipients,
        state: r.state,
        attempts: r.attempts,
        lastError: r.lastError,
        createdAt: r.createdAt,
        sentAt: r.sentAt,
      }),
      raw: repliesShown[i]!.raw,
    })),
    rejections: hideKeysIn(rejections),
    audit: hideKeysIn(audit),
  };
}
