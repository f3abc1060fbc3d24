/**
 * When a change touches a POC's or an org's records, the contacts concerned hear of it, as
 * registries do; the requester already gets the reply.
 */
import { asc, eq, inArray } from 'drizzle-orm';
import { type Transaction, tables } from '../db/index.ts';
import { type AuditRow, checkEmails } from '../registry/index.ts';
import type { OutgoingMail } from '../replies/index.ts';
import type { FieldWords, TemplateRequest } from '../templates/index.ts';
import { emailsBefore, recordChangeLines } from './change-lines.ts';
import type { MailingAccount } from './context.ts';

export interface Notice {
  readonly to: readonly string[];
  /** Those of `to` the change took something away from: see OutgoingMail's alarmTo. */
  readonly alarmTo?: readonly string[];
  readonly objectType: string;
  readonly handle: string;
  readonly summaryLines: readonly string[];
  readonly ticket: string;
  readonly submissionId: string;
  readonly templateIndex: number;
  /** A later notice of the same template and record (an undo's), told apart in its Message-ID. */
  readonly tag?: string;
}

/**
 * Composes notices into mail (queued with the other writes of the transaction). Notices count
 * against their recipients' reply limit, but for `exempt`: the requester's own proven address;
 * and, with the requesting `account`, against its bound on addresses outside its own.
 */
export type NoticeComposer = (
  notices: readonly Notice[],
  exempt?: string,
  account?: MailingAccount,
) => Promise<ComposedNotices>;

/** The notices' mail to queue, and the notices kept for staff past the account's bound. */
export interface ComposedNotices {
  readonly mails: readonly OutgoingMail[];
  readonly held: readonly HeldNotice[];
}

/** A notice (to some or all of its recipients) kept for staff on the Undelivered page. */
export interface HeldNotice {
  readonly notice: Notice;
  /** How many of its `of` recipients it was kept for. */
  readonly held: number;
  readonly of: number;
  /** Why, as the outbox row says it. */
  readonly why: string;
}

/**
 * The note the requester's reply carries for a held notice (docs/reply-format.md, "Is the
 * account making us mail strangers?"): which record's contacts were not told, and why. The
 * addresses are not named: a POC's earlier addresses are told too, and they are not the
 * requester's to read.
 */
export function heldNoticeNote(h: HeldNotice): string {
  const whom = h.held === h.of ? 'its contacts' : `${h.held} of its ${h.of} contacts`;
  return `the notice of this change to ${h.notice.objectType} ${h.notice.handle} was not sent to ${whom} but held for hostmaster staff, who may send it: ${h.why}`;
}

async function pocEmails(tx: Transaction, handles: readonly string[]): Promise<string[]> {
  if (handles.length === 0) return [];
  const rows = await tx
    .select({ emails: tables.pocs.emails })
    .from(tables.pocs)
    .where(inArray(tables.pocs.handle, [...handles]))
    // The notice's recipients in one order every time, not the heap's.
    .orderBy(asc(tables.pocs.handle));
  return rows.flatMap((r) => r.emails);
}

export async function orgContactEmails(tx: Transaction, orgHandle: string): Promise<string[]> {
  const rows = await tx
    .select({ poc: tables.orgPocs.pocHandle })
    .from(tables.orgPocs)
    .where(eq(tables.orgPocs.orgHandle, orgHandle));
  return pocEmails(
    tx,
    rows.map((r) => r.poc),
  );
}

/** The orgs that held the nets these audit rows remove, each once, in the rows' order. */
function heldByRemovedNets(rows: readonly AuditRow[]): string[] {
  const orgs: string[] = [];
  for (const row of rows) {
    if (row.action !== 'remove' || row.objectType !== 'net') continue;
    const before = row.before;
    const org =
      before !== null && typeof before === 'object' && !Array.isArray(before)
        ? (before as Record<string, unknown>)['orgHandle']
        : undefined;
    if (typeof org === 'string' && org && !orgs.includes(org)) orgs.push(org);
  }
  return orgs;
}

export async function noticesFor(
  tx: Transaction,
  request: TemplateRequest,
  handles: Readonly<Record<string, string>>,
  where: {
    ticket: string;
    submissionId: string;
    index: number;
    summary: readonly string[];
    /** The operation's audit rows: a modification is told field by field, old -> new. */
    audit?: readonly AuditRow[];
    /** The words of the template's form: the fields are named as the sender's form names them. */
    words?: FieldWords;
  },
): Promise<Notice[]> {
  const base = {
    ticket: where.ticket,
    submissionId: where.submissionId,
    templateIndex: where.index,
    summaryLines: where.summary,
  };
  const told = (objectType: 'poc' | 'org', handle: string) => ({
    ...base,
    summaryLines: [
      ...where.summary,
      ...recordChangeLines(where.audit ?? [], objectType, handle, where.words ?? (() => undefined)),
    ],
  });
  switch (request.kind) {
    case 'poc.create': {
      // The addresses just stored, as the registry stored them: no need to read them back.
      const handle = handles['poc'];
      const stored = checkEmails(request.emails);
      return handle && stored.ok ? [{ ...base, to: stored.value, objectType: 'POC', handle }] : [];
    }
    case 'poc.modify': {
      const handle = handles['poc'] ?? request.handle;
      if (!handle) return [];
      // The addresses as they are now and as they were: a changed address hears of it too.
      const now = await pocEmails(tx, [handle]);
      const before = emailsBefore(where.audit ?? [], handle);
      // An address the record no longer has is told it was replaced: the hijack alarm.
      const alarmTo = before.filter((b) => !now.some((n) => n.toLowerCase() === b.toLowerCase()));
      return [{ ...told('poc', handle), to: [...now, ...before], alarmTo, objectType: 'POC', handle }];
    }
    case 'org.create':
    case 'org.modify': {
      const handle = handles['org'] ?? ('handle' in request ? request.handle : '');
      return handle
        ? [{ ...told('org', handle), to: await orgContactEmails(tx, handle), objectType: 'org', handle }]
        : [];
    }
    case 'reassign-detailed':
    case 'reallocate': {
      // The downstream org learns that space was delegated to it.
      const org = handles['org'] ?? ('handle' in request.downstreamOrg ? request.downstreamOrg.handle : '');
      return org ? [{ ...base, to: await orgContactEmails(tx, org), objectType: 'org', handle: org }] : [];
    }
    case 'net.remove': {
      // The org that held a removed net learns it is gone, as it learnt it was delegated to it:
      // an upstream may take back what it reassigned or reallocated, and the holder must hear.
      const notices: Notice[] = [];
      for (const org of heldByRemovedNets(where.audit ?? [])) {
        const to = await orgContactEmails(tx, org);
        notices.push({ ...base, to, alarmTo: to, objectType: 'org', handle: org });
      }
      return notices;
    }
    default:
      return [];
  }
}
