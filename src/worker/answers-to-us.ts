/**
 * Recognises mail that answers mail we sent: a reply to one of our replies, notices or staff
 * answers (In-Reply-To or References naming a Message-ID in our outbox), or a message quoting one
 * of our ticket numbers in its Subject or in its own (unquoted) text. Such a message without a
 * template is a question or complaint for staff ("I did NOT make this change!"), not a template
 * we failed to find; one with templates is processed as any other, and linked all the same.
 *
 * Only mail of the kinds in ANSWERABLE_KINDS counts: an answer to mail of another kind (a POC
 * validation request, say) is handled by validation-mail.ts before message-kind.ts is asked
 * (process-submission.ts).
 */
import { and, asc, desc, eq, inArray, isNull, ne, or } from 'drizzle-orm';
import { type Executor, type MessageLinkWay, tables } from '../db/index.ts';
import {
  type ExtractedMail,
  headerBlock,
  headerFields,
  MAX_LOOKUPS,
  ownWords,
  ticketsIn,
} from '../mail/index.ts';
import { HEADER_STATUS, RECEIVED_STATUS, sameAddress } from '../replies/index.ts';
import { redactApiKeys } from '../shared/index.ts';

/** Outbox kinds whose answers are questions for staff. */
const ANSWERABLE_KINDS = ['reply', 'notification', 'staff'] as const;

/** How much of the sender's own words the queue row shows staff. */
const EXCERPT_CHARACTERS = 300;

export interface MessageLink {
  /** The submission our answered mail was about (or the ticket named belongs to). */
  readonly answersSubmissionId: string | null;
  readonly ticketNumber: string | null;
  readonly ourMessageId: string | null;
  readonly way: MessageLinkWay;
  /** The sender's From was a recipient of our mail about that submission. */
  readonly senderWasRecipient: boolean;
}

export interface AnsweredMail {
  readonly links: readonly MessageLink[];
  /** The tickets the message answers, each once, in the order found: the acknowledgement names them. */
  readonly tickets: readonly string[];
  /** The submissions the message answers, each once. */
  readonly submissions: readonly string[];
  /** The sender's own words (quoted lines left out), on one line, keys redacted, cut short. */
  readonly excerpt: string;
  /**
   * It answers one of our acknowledgements: it goes to staff, but is not acknowledged again, so
   * that a responder that marks nothing cannot keep a conversation of acknowledgements going.
   */
  readonly answersAcknowledgement: boolean;
  /**
   * No proven sender, but the From it claims is an address our answered mail went to: staff read
   * "unverified", not "a stranger" (a victim of a notice writing back from a mail system without
   * DKIM or SPF is the very person we wrote to, as far as anyone can tell).
   */
  readonly claimedFromWasRecipient: boolean;
}

function excerptOf(words: readonly string[]): string {
  const text = redactApiKeys(words.join(' ').replace(/\s+/g, ' ').trim());
  return text.length > EXCERPT_CHARACTERS ? `${text.slice(0, EXCERPT_CHARACTERS)}...` : text;
}

/** The ticket our mail was about, from its X-Hostmaster-Ticket (per-template replies, notices). */
function ticketOfOurMail(raw: string): string | undefined {
  const field = headerFields(headerBlock(raw)).get('x-hostmaster-ticket')?.[0];
  return field === undefined ? undefined : ticketsIn(field)[0];
}

/** One of our acknowledgements (X-Hostmaster-Status: RECEIVED). */
function isAcknowledgement(raw: string): boolean {
  const status = headerFields(headerBlock(raw)).get(HEADER_STATUS.toLowerCase()) ?? [];
  return status.some((value) => value.toUpperCase() === RECEIVED_STATUS.toUpperCase());
}

type OurMail = { messageId: string; submissionId: string | null; recipients: string[]; raw: string };

/** How many of the sender's latest messages are looked at for our Subject (see bySubject). */
const SUBJECT_LOOKBACK = 20;

const comparable = (subject: string) => subject.replace(/\s+/g, ' ').trim().toLowerCase();

/** Our mails about these submissions that a person may answer (ANSWERABLE_KINDS), oldest first. */
async function answerableMailsOf(ex: Executor, submissionIds: readonly string[]) {
  const o = tables.outbox;
  return ex
    .select({
      messageId: o.messageId,
      submissionId: o.submissionId,
      recipients: o.recipients,
      raw: o.raw,
      state: o.state,
    })
    .from(o)
    .where(and(inArray(o.submissionId, [...submissionIds]), inArray(o.kind, [...ANSWERABLE_KINDS])))
    .orderBy(asc(o.id));
}

/**
 * Our mails to the sender about their latest messages whose Subject this Subject keeps whole
 * (`[Ticket#5556] Re: SWIP batch 7` keeps our `Re: SWIP batch 7`): a ticket system that answers
 * each of our mails with a new message, naming no id of ours and no ticket (our refusal named
 * none), still answers us. Our Subject always starts `Re: `, so a person sending the same Subject
 * again (`SWIP batch 7`, the template forgotten twice) is not taken for an answer.
 */
async function bySubject(ex: Executor, subject: string, sender: string): Promise<OurMail[]> {
  // Our Subject shows a key redacted; the sender may have written it out again.
  const kept = comparable(redactApiKeys(subject));
  if (kept === '') return [];
  const s = tables.submissions;
  const latest = await ex
    .select({ id: s.id })
    .from(s)
    .where(eq(s.fromAddress, sender.toLowerCase()))
    .orderBy(desc(s.receivedAt))
    .limit(SUBJECT_LOOKBACK);
  if (latest.length === 0) return [];
  const mails = await answerableMailsOf(
    ex,
    latest.map((r) => r.id),
  );
  return mails.filter((m) => {
    if (!m.recipients.some((r) => sameAddress(r, sender))) return false;
    const ours = comparable(headerFields(headerBlock(m.raw)).get('subject')?.[0] ?? '');
    return ours.length > 're: '.length && kept.includes(ours);
  });
}

type TicketRow = { number: string; submissionId: string | null };

/**
 * What the message answers, or undefined when it names nothing of ours. Asks the database only
 * when the message names a Message-ID or a ticket number at all.
 */
export async function findAnsweredMail(
  ex: Executor,
  mail: ExtractedMail,
  /**
   * The sender's address as proven (DKIM, SPF, or a key holder's own): whether the sender was
   * among the recipients of our mail is judged by it, never by a From anyone can write.
   */
  provenSender: string | undefined,
  /**
   * Also look for our Subject kept in the message's (bySubject) when nothing else links it: asked
   * only for a message without a template, so that the common message pays no query for it.
   */
  options: { readonly bySubject?: boolean } = {},
): Promise<AnsweredMail | undefined> {
  const { headers } = mail;
  const sender = provenSender;
  const inReplyTo = headers.inReplyTo?.trim();
  const ids = [...new Set([...(inReplyTo ? [inReplyTo] : []), ...headers.references.map((r) => r.trim())])]
    .filter((id) => id !== '')
    .slice(0, MAX_LOOKUPS);
  const words = ownWords(mail.text);
  const inSubject = ticketsIn(headers.subject);
  const inBody = ticketsIn(words.join('\n')).filter((t) => !inSubject.includes(t));
  const bySubjectToo = options.bySubject === true && sender !== undefined && headers.subject !== undefined;
  if (ids.length === 0 && inSubject.length === 0 && inBody.length === 0 && !bySubjectToo) return undefined;

  const o = tables.outbox;
  const byIds: OurMail[] =
    ids.length === 0
      ? []
      : await ex
          .select({
            messageId: o.messageId,
            submissionId: o.submissionId,
            recipients: o.recipients,
            raw: o.raw,
          })
          .from(o)
          .where(and(inArray(o.messageId, ids), inArray(o.kind, [...ANSWERABLE_KINDS])))
          // The links are recorded (and shown to staff) in the order our mails were written.
          .orderBy(asc(o.id));
  const typed = [...inSubject, ...inBody];
  const t = tables.tickets;
  const typedTickets: TicketRow[] =
    typed.length === 0
      ? []
      : await ex
          .select({ number: t.number, submissionId: t.submissionId })
          .from(t)
          .where(inArray(t.number, typed))
          .orderBy(asc(t.number));
  const subjectLinked =
    byIds.length === 0 && typedTickets.length === 0 && bySubjectToo
      ? await bySubject(ex, headers.subject ?? '', sender)
      : [];
  const ours = [...byIds, ...subjectLinked];
  if (ours.length === 0 && typedTickets.length === 0) return undefined;

  // Who we wrote to about each submission named: a ticket number anyone can type, a recipient was told by us.
  const named = [
    ...new Set([...ours, ...typedTickets].flatMap((r) => (r.submissionId ? [r.submissionId] : []))),
  ];
  const [ourMailsAbout, ticketsOfAnswered, linksOfAnswered] = await Promise.all([
    ex
      .select({ submissionId: o.submissionId, recipients: o.recipients })
      .from(o)
      .where(and(inArray(o.submissionId, named), inArray(o.kind, [...ANSWERABLE_KINDS]))),
    ex
      .select({ number: t.number, submissionId: t.submissionId })
      .from(t)
      .where(inArray(t.submissionId, named)),
    // An answer to our acknowledgement of an earlier answer is about what that one was about.
    ex
      .select({
        submissionId: tables.messageLinks.submissionId,
        ticketNumber: tables.messageLinks.ticketNumber,
      })
      .from(tables.messageLinks)
      .where(inArray(tables.messageLinks.submissionId, named)),
  ]);
  const recipientOf = (submissionId: string | null) =>
    sender !== undefined &&
    submissionId !== null &&
    ourMailsAbout.some(
      (m) => m.submissionId === submissionId && m.recipients.some((r) => sameAddress(r, sender)),
    );

  const links: MessageLink[] = [];
  for (const our of ours) {
    const way: MessageLinkWay = subjectLinked.includes(our)
      ? 'subject-of-our-mail'
      : our.messageId === inReplyTo
        ? 'in-reply-to'
        : 'references';
    const own = ticketOfOurMail(our.raw);
    const tickets = own
      ? [own]
      : [
          ...ticketsOfAnswered.filter((r) => r.submissionId === our.submissionId).map((r) => r.number),
          ...linksOfAnswered.flatMap((l) =>
            l.submissionId === our.submissionId && l.ticketNumber ? [l.ticketNumber] : [],
          ),
        ];
    const base = {
      answersSubmissionId: our.submissionId,
      ourMessageId: our.messageId,
      way,
      senderWasRecipient: sender !== undefined && our.recipients.some((r) => sameAddress(r, sender)),
    };
    if (tickets.length === 0) links.push({ ...base, ticketNumber: null });
    for (const ticket of new Set(tickets)) links.push({ ...base, ticketNumber: ticket });
  }
  // A ticket our answered mail already named (a notice's Subject quoted back) is linked once.
  const linked = new Set(links.map((l) => l.ticketNumber));
  for (const row of typedTickets.filter((r) => !linked.has(r.number))) {
    links.push({
      answersSubmissionId: row.submissionId,
      ticketNumber: row.number,
      ourMessageId: null,
      way: inSubject.includes(row.number) ? 'ticket-in-subject' : 'ticket-in-body',
      senderWasRecipient: recipientOf(row.submissionId),
    });
  }
  const claimed = sender === undefined ? headers.from?.address : undefined;
  const claimedFromWasRecipient =
    claimed !== undefined &&
    [...ours, ...ourMailsAbout].some((m) => m.recipients.some((r) => sameAddress(r, claimed)));
  return {
    links,
    claimedFromWasRecipient,
    tickets: [...new Set(links.flatMap((l) => (l.ticketNumber ? [l.ticketNumber] : [])))],
    submissions: [...new Set(links.flatMap((l) => (l.answersSubmissionId ? [l.answersSubmissionId] : [])))],
    excerpt: excerptOf(words),
    answersAcknowledgement: ours.some((m) => isAcknowledgement(m.raw)),
  };
}

/**
 * What one link is about, for counting acknowledgements: its ticket, else (an answer to a mail of
 * ours that named no ticket, a refusal say) the submission that mail was about.
 */
function subjectOf(link: Pick<MessageLink, 'ticketNumber' | 'answersSubmissionId'>): string | undefined {
  if (link.ticketNumber) return `ticket ${link.ticketNumber}`;
  return link.answersSubmissionId ? `submission ${link.answersSubmissionId}` : undefined;
}

/**
 * What an earlier answer from this address about the same tickets already had from us: the
 * tickets (or submissions) of this answer that we acknowledged to `recipient` before, or
 * undefined when some of them were not (an acknowledgement is due). An acknowledgement goes out
 * once per ticket and address: a responder that answers each of our mails with a new message,
 * unthreaded and unmarked, our ticket number kept in its Subject, answers our acknowledgement
 * with one more answer about the same ticket, and gets nothing, so the conversation ends there.
 * A person writing again about the same ticket is read by staff all the same (the row is
 * opened); they already know that their first message reached staff.
 */
export async function acknowledgedBefore(
  ex: Executor,
  answered: AnsweredMail,
  submissionId: string,
  recipient: string,
): Promise<readonly string[] | undefined> {
  const subjects = answered.links.map(subjectOf);
  if (subjects.length === 0 || subjects.some((s) => s === undefined)) return undefined;
  const tickets = answered.tickets;
  const submissions = answered.links.flatMap((l) =>
    !l.ticketNumber && l.answersSubmissionId ? [l.answersSubmissionId] : [],
  );
  const ml = tables.messageLinks;
  const about = [
    ...(tickets.length > 0 ? [inArray(ml.ticketNumber, [...tickets])] : []),
    ...(submissions.length > 0
      ? [and(isNull(ml.ticketNumber), inArray(ml.answersSubmissionId, submissions))]
      : []),
  ];
  const earlier = await ex
    .select({
      submissionId: ml.submissionId,
      ticketNumber: ml.ticketNumber,
      answersSubmissionId: ml.answersSubmissionId,
    })
    .from(ml)
    .where(and(ne(ml.submissionId, submissionId), or(...about)));
  if (earlier.length === 0) return undefined;
  const ours = await answerableMailsOf(ex, [...new Set(earlier.map((l) => l.submissionId))]);
  // A mail the relay refused for good reached nobody: it acknowledged nothing.
  const acknowledged = new Set(
    ours
      .filter(
        (m) =>
          m.state !== 'failed' &&
          isAcknowledgement(m.raw) &&
          m.recipients.some((r) => sameAddress(r, recipient)),
      )
      .flatMap((m) => (m.submissionId ? [m.submissionId] : [])),
  );
  const told = new Set(earlier.filter((l) => acknowledged.has(l.submissionId)).map(subjectOf));
  return subjects.every((s) => told.has(s)) ? (subjects as string[]) : undefined;
}

/** The sentence staff read in the queue: what it answers, how we know, and the sender's words. */
export function describeAnswer(answered: AnsweredMail): string {
  const about = answered.tickets.length > 0 ? `ticket ${answered.tickets.join(', ')}` : 'our mail';
  const submissions =
    answered.submissions.length > 0 ? ` (submission ${answered.submissions.join(', ')})` : '';
  const ways = [...new Set(answered.links.map((l) => l.way))].join(', ');
  const stranger = answered.links.some((l) => l.senderWasRecipient)
    ? ''
    : answered.claimedFromWasRecipient
      ? "; the sender's From is an address our mail about it went to, but unverified (neither DKIM nor SPF vouched for it)"
      : '; the sender was not among the recipients of our mail about it';
  const words = answered.excerpt ? `: "${answered.excerpt}"` : ' (no text of its own)';
  return `a message without a template answering ${about}${submissions}, linked by ${ways}${stranger}${words}`;
}
