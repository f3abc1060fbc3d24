/**
 * Reading what the pipeline did: the replies caught by the sink for one submission (a shared
 * stack sees many), the notices sent to contacts, and the rows left in the database.
 */
import { and, asc, eq, sql } from 'drizzle-orm';
import { simpleParser } from 'mailparser';
import nodemailer from 'nodemailer';
import { type Executor, queryRows, tables } from '../../../src/db/index.ts';
import type { CaughtMail, SmtpSink } from '../../replies/support/smtp-sink.ts';
import { type ParsedReply, parseReply } from '../../support/reply-reader.ts';

export interface Reply {
  readonly mail: CaughtMail;
  readonly parsed: ParsedReply;
}

function header(raw: string, name: string): string | undefined {
  const head = raw.split(/\r?\n\r?\n/, 1)[0] ?? '';
  const unfolded = head.replace(/\r?\n[ \t]+/g, ' ');
  const m = new RegExp(`^${name}:[ \\t]*(.*)$`, 'im').exec(unfolded);
  return m?.[1]?.trim();
}

const isNotice = (mail: CaughtMail) => /\.notify\./.test(header(mail.raw, 'Message-ID') ?? '');

/** What caught the mail: the stack's sink, or another relay's catch (a wire sink's). */
type Caught = Pick<SmtpSink, 'accepted'>;

function mailsOf(sink: Caught, submissionId: string): CaughtMail[] {
  return sink.accepted.filter((m) => header(m.raw, 'X-Hostmaster-Submission') === submissionId);
}

async function until<T>(what: string, timeoutMs: number, probe: () => T | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Waits for `count` replies to this submission (notices excluded) and parses them. */
export async function repliesFor(
  sink: Caught,
  submissionId: string,
  count = 1,
  timeoutMs = 60_000,
): Promise<Reply[]> {
  const mails = await until(`${count} replies to ${submissionId}`, timeoutMs, () => {
    const found = mailsOf(sink, submissionId).filter((m) => !isNotice(m));
    return found.length >= count ? found : undefined;
  });
  const out: Reply[] = [];
  for (const mail of mails) {
    const parsed = await parseReply(mail.raw);
    if (!parsed.ok) throw new Error(`reply to ${submissionId} does not parse: ${parsed.error.message}`);
    out.push({ mail, parsed: parsed.value });
  }
  return out;
}

export async function replyFor(sink: Caught, submissionId: string): Promise<Reply> {
  const [reply] = await repliesFor(sink, submissionId, 1);
  return reply!;
}

/** Replies and notices to this submission caught so far, without waiting. */
export function caughtFor(sink: Caught, submissionId: string): { replies: number; notices: number } {
  const mails = mailsOf(sink, submissionId);
  const notices = mails.filter(isNotice).length;
  return { replies: mails.length - notices, notices };
}

export interface Notice {
  readonly messageId: string | undefined;
  readonly to: readonly string[];
  readonly subject: string;
  readonly text: string;
  readonly autoSubmitted: string | undefined;
}

export async function noticesFor(
  sink: SmtpSink,
  submissionId: string,
  count = 1,
  timeoutMs = 60_000,
): Promise<Notice[]> {
  const mails = await until(`${count} notices for ${submissionId}`, timeoutMs, () => {
    const found = mailsOf(sink, submissionId).filter(isNotice);
    return found.length >= count ? found : undefined;
  });
  return Promise.all(
    mails.map(async (mail) => {
      const parsed = await simpleParser(mail.raw);
      return {
        messageId: header(mail.raw, 'Message-ID'),
        to: mail.rcptTo,
        subject: parsed.subject ?? '',
        text: parsed.text ?? '',
        autoSubmitted: header(mail.raw, 'Auto-Submitted'),
      };
    }),
  );
}

/** Waits (briefly) to be sure no further mail for this submission arrives. */
export async function quietFor(sink: Caught, submissionId: string, ms = 800): Promise<void> {
  const before = mailsOf(sink, submissionId).length;
  await new Promise((r) => setTimeout(r, ms));
  const after = mailsOf(sink, submissionId).length;
  if (after !== before) throw new Error(`${after - before} more mails for ${submissionId} arrived`);
}

/**
 * `quietFor` without its pause, where the submission's mail is the outbox's: waits until the
 * submission is done and none of its mail waits in the outbox (from then on nothing more is sent
 * for it), then checks that no mail for it came beyond those caught when called.
 */
export async function settledFor(
  sink: SmtpSink,
  db: Executor,
  submissionId: string,
  timeoutMs = 60_000,
): Promise<void> {
  const before = mailsOf(sink, submissionId).length;
  await outboxSettled(db, submissionId, timeoutMs);
  const after = mailsOf(sink, submissionId).length;
  if (after !== before) throw new Error(`${after - before} more mails for ${submissionId} arrived`);
}

/**
 * Waits until the submission is done and none of its mail waits in the outbox: every mail it
 * will ever send has reached the sink by then (or failed for good).
 */
export async function outboxSettled(db: Executor, submissionId: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [submission] = await db
      .select({ state: tables.submissions.state })
      .from(tables.submissions)
      .where(eq(tables.submissions.id, submissionId));
    const waiting = await db
      .select({ id: tables.outbox.id })
      .from(tables.outbox)
      .where(and(eq(tables.outbox.submissionId, submissionId), eq(tables.outbox.state, 'pending')));
    if (submission?.state === 'done' && waiting.length === 0) break;
    if (Date.now() > deadline) {
      throw new Error(
        `${submissionId} is ${submission?.state ?? 'missing'} with ${waiting.length} mails waiting to be sent`,
      );
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

export async function templateRows(db: Executor, submissionId: string) {
  return db
    .select()
    .from(tables.submissionTemplates)
    .where(eq(tables.submissionTemplates.submissionId, submissionId))
    .orderBy(asc(tables.submissionTemplates.templateIndex));
}

export async function rejectionsOf(db: Executor, submissionId: string) {
  return db
    .select()
    .from(tables.rejections)
    .where(eq(tables.rejections.submissionId, submissionId))
    .orderBy(asc(tables.rejections.id));
}

/** Every query below that answers rows orders them: without ORDER BY a row's place is the heap's, which an update moves. */

/** How many customer records carry this name (a refused template must leave none behind). */
export async function customersNamed(db: Executor, name: string): Promise<number> {
  const rows = await db.select().from(tables.customers).where(eq(tables.customers.name, name));
  return rows.length;
}

export async function netByName(db: Executor, name: string) {
  return db.select().from(tables.nets).where(eq(tables.nets.name, name)).orderBy(asc(tables.nets.handle));
}

export async function netByHandle(db: Executor, handle: string) {
  const [net] = await db.select().from(tables.nets).where(eq(tables.nets.handle, handle));
  return net;
}

export async function pocByHandle(db: Executor, handle: string) {
  const [poc] = await db.select().from(tables.pocs).where(eq(tables.pocs.handle, handle));
  return poc;
}

export async function orgByHandle(db: Executor, handle: string) {
  const [org] = await db.select().from(tables.orgs).where(eq(tables.orgs.handle, handle));
  return org;
}

export async function netPocsOf(db: Executor, netHandle: string) {
  return db
    .select({ role: tables.netPocs.role, poc: tables.netPocs.pocHandle })
    .from(tables.netPocs)
    .where(eq(tables.netPocs.netHandle, netHandle))
    .orderBy(asc(tables.netPocs.role), asc(tables.netPocs.pocHandle));
}

export async function orgPocsOf(db: Executor, orgHandle: string) {
  return db
    .select({ role: tables.orgPocs.role, poc: tables.orgPocs.pocHandle })
    .from(tables.orgPocs)
    .where(eq(tables.orgPocs.orgHandle, orgHandle))
    .orderBy(asc(tables.orgPocs.role), asc(tables.orgPocs.pocHandle));
}

export async function ticketOf(db: Executor, number: string) {
  const [ticket] = await db.select().from(tables.tickets).where(eq(tables.tickets.number, number));
  return ticket;
}

export async function auditRowsOf(db: Executor, ticket: string) {
  return db
    .select()
    .from(tables.auditLog)
    .where(and(eq(tables.auditLog.ticketNumber, ticket)))
    .orderBy(asc(tables.auditLog.id));
}

export interface SmtpAnswer {
  readonly code: number;
  readonly text: string;
}

/** Sends over real SMTP and reports the server's answer to DATA, 4xx/5xx included. */
export async function sendExpectingAnswer(port: number, raw: string | Buffer, from = 'noc@demo-isp.example') {
  const client = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
  try {
    const info = await client.sendMail({ envelope: { from, to: ['hostmaster@localhost'] }, raw });
    return { code: Number(info.response.slice(0, 3)), text: info.response.slice(4) } satisfies SmtpAnswer;
  } catch (error) {
    const e = error as { responseCode?: number; response?: string; message: string };
    return { code: e.responseCode ?? 0, text: e.response?.slice(4) ?? e.message } satisfies SmtpAnswer;
  } finally {
    client.close();
  }
}

/** How many rows a table holds now (a test's footprint: nothing written, or one row more). */
export async function rowCount(db: Executor, table: string): Promise<number> {
  const [row] = await queryRows<{ n: string }>(db, sql.raw(`SELECT count(*)::text AS n FROM ${table}`));
  return Number(row!.n);
}
