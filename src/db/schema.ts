/**
 * The one schema, for PGlite and PostgreSQL alike. `drizzle-kit generate` turns changes into
 * the numbered SQL migrations under `drizzle/`, which both backends run unchanged. Two are
 * hand-written because drizzle-kit cannot express them, and must be kept when migrations are
 * regenerated: 0001 (the exclusion constraint keeping sibling nets apart) and 0002 (the customer
 * handle sequence).
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  customType,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  serial,
  smallint,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

/** An IPv4 or IPv6 address as a number: numeric(39,0) holds 2^128, and compares numerically. */
export const ipNumber = customType<{ data: bigint; driverData: string }>({
  dataType: () => 'numeric(39,0)',
  toDriver: (value) => value.toString(),
  fromDriver: (value) => BigInt(value),
});

/** Raw message bytes, kept exactly as received (8-bit mail is not always valid UTF-8). */
export const bytea = customType<{ data: Buffer; driverData: Uint8Array }>({
  dataType: () => 'bytea',
  toDriver: (value) => value,
  fromDriver: (value) => Buffer.from(value),
});

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp('updated_at', { withTimezone: true }).notNull().defaultNow();
const textList = (name: string) => text(name).array().notNull().default(sql`'{}'::text[]`);

export const orgs = pgTable(
  'orgs',
  {
    handle: text('handle').primaryKey(),
    name: text('name').notNull(),
    dba: text('dba'),
    /** Business tax ID from ORG templates: kept for staff, never shown publicly. */
    taxId: text('tax_id'),
    street: textList('street'),
    city: text('city').notNull(),
    state: text('state'),
    postalCode: text('postal_code'),
    country: text('country').notNull(),
    referralServer: text('referral_server'),
    publicComments: textList('public_comments'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('orgs_name_idx').on(sql`lower(${t.name})`),
    // Public searches by prefix (LIKE 'demo%'): a default b-tree serves LIKE only in the C
    // collation; text_pattern_ops serves it in any.
    index('orgs_name_pattern_idx').on(sql`lower(${t.name}) text_pattern_ops`),
    index('orgs_handle_pattern_idx').on(t.handle.op('text_pattern_ops')),
  ],
);

export type PhoneKind = 'office' | 'mobile' | 'fax';
export interface PocPhone {
  readonly number: string;
  readonly extension?: string;
  readonly kind: PhoneKind;
}

export const POC_VALIDATION_STATES = ['valid', 'pending', 'invalid'] as const;
export type PocValidationState = (typeof POC_VALIDATION_STATES)[number];

export const pocs = pgTable(
  'pocs',
  {
    handle: text('handle').primaryKey(),
    kind: text('kind', { enum: ['person', 'role'] }).notNull(),
    lastName: text('last_name').notNull(),
    firstName: text('first_name'),
    middleName: text('middle_name'),
    company: text('company'),
    street: textList('street'),
    city: text('city'),
    state: text('state'),
    postalCode: text('postal_code'),
    country: text('country'),
    phones: jsonb('phones').$type<PocPhone[]>().notNull().default([]),
    emails: textList('emails'),
    publicComments: textList('public_comments'),
    validatedAt: timestamp('validated_at', { withTimezone: true }),
    /**
     * The annual validation (src/validation): `valid`, `pending` (a validation mail awaits its
     * answer) or `invalid` (unanswered for 60 days, or every address bounced).
     */
    validationState: text('validation_state', { enum: POC_VALIDATION_STATES }).notNull().default('valid'),
    /** Addresses of `emails` that proved unreachable (a validation mail bounced, or went unanswered). */
    invalidEmails: textList('invalid_emails'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('pocs_last_name_idx').on(sql`lower(${t.lastName})`),
    index('pocs_validation_state_idx').on(t.validationState),
    index('pocs_emails_idx').using('gin', t.emails),
    index('pocs_last_name_pattern_idx').on(sql`lower(${t.lastName}) text_pattern_ops`),
    // `First Last`, as the public search by name reads it (src/public/directory.ts pocFullName).
    index('pocs_full_name_pattern_idx').on(
      sql`lower(coalesce(${t.firstName} || ' ', '') || ${t.lastName}) text_pattern_ops`,
    ),
    index('pocs_handle_pattern_idx').on(t.handle.op('text_pattern_ops')),
  ],
);

export const ORG_POC_ROLES = ['admin', 'tech', 'abuse', 'noc'] as const;
export type OrgPocRole = (typeof ORG_POC_ROLES)[number];

export const orgPocs = pgTable(
  'org_pocs',
  {
    orgHandle: text('org_handle')
      .notNull()
      .references(() => orgs.handle, { onDelete: 'cascade' }),
    pocHandle: text('poc_handle')
      .notNull()
      .references(() => pocs.handle),
    role: text('role', { enum: ORG_POC_ROLES }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.orgHandle, t.pocHandle, t.role] }),
    index('org_pocs_poc_idx').on(t.pocHandle),
  ],
);

export const customers = pgTable(
  'customers',
  {
    handle: text('handle').primaryKey(),
    /** The upstream org that reassigned space to this customer. */
    parentOrgHandle: text('parent_org_handle')
      .notNull()
      .references(() => orgs.handle),
    name: text('name').notNull(),
    street: textList('street'),
    city: text('city').notNull(),
    state: text('state'),
    postalCode: text('postal_code'),
    country: text('country').notNull(),
    privateResidence: boolean('private_residence').notNull().default(false),
    publicComments: textList('public_comments'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('customers_parent_org_idx').on(t.parentOrgHandle),
    index('customers_name_idx').on(sql`lower(${t.name})`),
    // Private customers are never found by name in public: they are not in this index either.
    index('customers_public_name_pattern_idx')
      .on(sql`lower(${t.name}) text_pattern_ops`)
      .where(sql`${t.privateResidence} = false`),
    index('customers_handle_pattern_idx').on(t.handle.op('text_pattern_ops')),
  ],
);

export const NET_TYPES = [
  'direct_allocation',
  'reallocation',
  'detailed_reassignment',
  'simple_reassignment',
] as const;
export type NetType = (typeof NET_TYPES)[number];

/**
 * Besides what is declared here, the constraint `nets_sibling_no_overlap` (children of one parent
 * never overlap) lives in the hand-written migrations drizzle/0001_sibling_exclusion.sql and
 * drizzle/0015_nets_sibling_exclusion_by_address.sql (its columns, range first, as they are now),
 * since drizzle-kit cannot express EXCLUDE: keep them when regenerating 0000_initial.
 */
export const nets = pgTable(
  'nets',
  {
    handle: text('handle').primaryKey(),
    name: text('name').notNull(),
    version: smallint('version').notNull().$type<4 | 6>(),
    startAddress: ipNumber('start_address').notNull(),
    endAddress: ipNumber('end_address').notNull(),
    /** The covering CIDR list, e.g. {10.0.0.0/23,10.0.2.0/24}, for display and look-up. */
    cidrs: textList('cidrs'),
    type: text('type', { enum: NET_TYPES }).notNull(),
    parentHandle: text('parent_handle'),
    orgHandle: text('org_handle').references(() => orgs.handle),
    customerHandle: text('customer_handle').references(() => customers.handle),
    originAs: bigint('origin_as', { mode: 'number' }).array().notNull().default(sql`'{}'::bigint[]`),
    reverseNameservers: textList('reverse_nameservers'),
    publicComments: textList('public_comments'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('nets_range_idx').on(t.version, t.startAddress, t.endAddress),
    // Containment and overlap (`@>`, `&&`) without walking every net below the address: a
    // b-tree on (start, end) answers "start <= x" by scanning all lower nets.
    index('nets_span_idx').using('gist', t.version, sql`numrange(${t.startAddress}, ${t.endAddress}, '[]')`),
    // The top of a containment chain (public lookups walk down from it, src/public/directory.ts):
    // without it PostgreSQL answered "parent is null and span @> x" from the sibling exclusion's
    // index, then keyed by the parent first, reading most of it (573 pages on 100,000 nets; since
    // migration 0015 that index is keyed by the range first).
    index('nets_top_span_idx')
      .using('gist', t.version, sql`numrange(${t.startAddress}, ${t.endAddress}, '[]')`)
      .where(sql`${t.parentHandle} is null`),
    index('nets_parent_idx').on(t.parentHandle),
    // An org's nets in address order: the public role lists the first 51 (an org holding most
    // of the registry would otherwise be read in the range index's order, others' nets first).
    index('nets_org_idx').on(t.orgHandle, t.version, t.startAddress),
    index('nets_customer_idx').on(t.customerHandle),
    // WHOIS `n NAME` and `n NAME*` (exact or prefix, any case): text_pattern_ops serves both.
    index('nets_name_pattern_idx').on(sql`lower(${t.name}) text_pattern_ops`),
  ],
);

export const NET_POC_ROLES = ['tech', 'abuse', 'noc'] as const;
export type NetPocRole = (typeof NET_POC_ROLES)[number];

export const netPocs = pgTable(
  'net_pocs',
  {
    netHandle: text('net_handle')
      .notNull()
      .references(() => nets.handle, { onDelete: 'cascade' }),
    pocHandle: text('poc_handle')
      .notNull()
      .references(() => pocs.handle),
    role: text('role', { enum: NET_POC_ROLES }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.netHandle, t.pocHandle, t.role] }),
    index('net_pocs_poc_idx').on(t.pocHandle),
  ],
);

/** A stand-in for the registry's web accounts: who may speak for which POCs. */
export const accounts = pgTable(
  'accounts',
  {
    id: serial('id').primaryKey(),
    /** Unique, like a web-account user name: the seed file identifies accounts by it. */
    name: text('name').notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('accounts_name_idx').on(t.name)],
);

export const accountEmails = pgTable(
  'account_emails',
  {
    accountId: integer('account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    /** Lower-cased. */
    email: text('email').notNull(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.email] }), index('account_emails_email_idx').on(t.email)],
);

export const accountPocs = pgTable(
  'account_pocs',
  {
    accountId: integer('account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    pocHandle: text('poc_handle')
      .notNull()
      .references(() => pocs.handle, { onDelete: 'cascade' }),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.pocHandle] }), index('account_pocs_poc_idx').on(t.pocHandle)],
);

/** Keys are kept only as SHA-256 digests (they are random, so a slow KDF adds nothing); the prefix is for display. */
export const apiKeys = pgTable(
  'api_keys',
  {
    id: serial('id').primaryKey(),
    accountId: integer('account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    digest: text('digest').notNull(),
    /** e.g. `API-1A2B-****-****-9F3C`: enough to tell keys apart, useless to an attacker. */
    display: text('display').notNull(),
    createdAt: createdAt(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [uniqueIndex('api_keys_digest_idx').on(t.digest)],
);

export const SUBMISSION_STATES = ['received', 'processing', 'done', 'failed'] as const;
export type SubmissionState = (typeof SUBMISSION_STATES)[number];

/**
 * How far a submission's sender is trusted for an answer: `authenticated` (a key whose account
 * lists the From, or a DKIM/SPF-aligned From: Reply-To honoured, their text may be quoted),
 * `verified` (not authenticated, but this address passed SPF or DKIM alignment: answered without
 * quoting them), `none` (nobody may be answered).
 */
export const ANSWER_TRUST = ['authenticated', 'verified', 'none'] as const;
export type AnswerTrust = (typeof ANSWER_TRUST)[number];

export const submissions = pgTable(
  'submissions',
  {
    id: text('id').primaryKey(),
    raw: bytea('raw').notNull(),
    /** SHA-256 of the raw bytes as received. */
    rawSha256: text('raw_sha256').notNull(),
    /**
     * SHA-256 of the raw bytes without the trace fields relays put on top (src/mail's
     * `deliveryDigest`): with the Message-ID it recognises a second delivery of one message, also
     * when it came by another path.
     */
    deliverySha256: text('delivery_sha256').notNull(),
    messageId: text('message_id').notNull().default(''),
    sizeBytes: integer('size_bytes').notNull(),
    envelopeFrom: text('envelope_from').notNull().default(''),
    envelopeTo: textList('envelope_to'),
    remoteAddress: text('remote_address'),
    heloName: text('helo_name'),
    via: text('via', { enum: ['smtp', 'stdin', 'console'] }).notNull(),
    fromAddress: text('from_address'),
    subject: text('subject'),
    state: text('state', { enum: SUBMISSION_STATES }).notNull().default('received'),
    /** Set when the whole message was refused (no template, too many, unknown sender...). */
    refusalCode: text('refusal_code'),
    refusalMessage: text('refusal_message'),
    /**
     * Whom the worker's rules answer (src/worker/whom-to-answer.ts), recorded where it decides so
     * the console's staff answers follow the same rules without asking DNS again: the address,
     * how far the sender is trusted, and why nobody is answered. Null trust: not decided yet.
     */
    answerTo: text('answer_to'),
    answerTrust: text('answer_trust', { enum: ANSWER_TRUST }),
    answerWithheld: text('answer_withheld'),
    /**
     * Who the message spoke for, once the worker identified it: the account, and the API key it
     * carried (null when the sender's address alone identified it). The console's usage per
     * account and key counts from these.
     */
    accountId: integer('account_id'),
    apiKeyId: integer('api_key_id'),
    /**
     * How the sender asked for a dry run (`the Subject says DRY-RUN`...); null: a real run. A dry
     * run's changes were undone: it left no ticket, rejection or notice, only this mark and its reply.
     */
    dryRun: text('dry_run'),
    /**
     * The message's templates that are someone else's and were not applied (quoted with `>`, or
     * inside a forwarded message, beside the sender's own): E_QUOTED_TEMPLATE or
     * E_FORWARDED_TEMPLATE naming each one's form and line, as the reply's Not-applied lines do.
     */
    notApplied: jsonb('not_applied').$type<StoredProblem[]>().notNull().default([]),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
    processedAt: timestamp('processed_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('submissions_delivery_idx').on(t.messageId, t.deliverySha256),
    index('submissions_state_idx').on(t.state, t.receivedAt),
    // A sender's latest messages, newest first (the Subject link, src/worker/answers-to-us.ts):
    // read from the index in order, not every message of the sender then sorted.
    index('submissions_from_received_idx').on(t.fromAddress, t.receivedAt),
    index('submissions_received_idx').on(t.receivedAt),
    index('submissions_account_idx').on(t.accountId, t.receivedAt),
    index('submissions_api_key_idx').on(t.apiKeyId, t.receivedAt),
  ],
);

/**
 * DKIM signatures that authorized a message by its sender (SENDER_AUTH=dkim): a copy of a signed
 * message sent again with other headers or envelope still passes, and must not apply its
 * templates a second time. Recorded in the transaction that applies the message's changes; the
 * primary key makes two copies processed at once take turns, and the second finds the first.
 * Kept when the submission goes (`set null`): the signature stays used.
 */
export const usedDkimSignatures = pgTable('used_dkim_signatures', {
  /** `signatureIdentity` (src/auth/sender-verdict.ts): SHA-256 hex of signing domain and signature. */
  signature: text('signature').primaryKey(),
  /** The submission that first used it. */
  submissionId: text('submission_id').references(() => submissions.id, { onDelete: 'set null' }),
  usedAt: timestamp('used_at', { withTimezone: true }).notNull().defaultNow(),
});

export const TEMPLATE_OUTCOMES = ['approved', 'rejected', 'pending_review'] as const;
export type TemplateOutcome = (typeof TEMPLATE_OUTCOMES)[number];

export interface StoredProblem {
  readonly code: string;
  readonly message: string;
  readonly field?: string;
  readonly line?: number;
}

/** One row per template of a submission: the idempotency key of the pipeline is (submission_id, template_index). */
export const submissionTemplates = pgTable(
  'submission_templates',
  {
    submissionId: text('submission_id')
      .notNull()
      .references(() => submissions.id, { onDelete: 'cascade' }),
    templateIndex: integer('template_index').notNull(),
    /** As written, e.g. `ARIN-REASSIGN-SIMPLE`, and `5.3`. */
    form: text('form').notNull(),
    formVersion: text('form_version').notNull(),
    requestKind: text('request_kind'),
    /** The typed request as JSON, API key removed. */
    request: jsonb('request'),
    /** The template text as submitted, API key redacted. */
    echo: text('echo').notNull(),
    outcome: text('outcome', { enum: TEMPLATE_OUTCOMES }).notNull(),
    ticketNumber: text('ticket_number'),
    errors: jsonb('errors').$type<StoredProblem[]>().notNull().default([]),
    /** Handles created or changed, e.g. {net: 'NET-...', customer: 'C01234567'}. */
    handles: jsonb('handles').$type<Record<string, string>>().notNull().default({}),
    /** What was done or deliberately not done, one sentence each, as told in the reply. */
    notes: textList('notes'),
    /**
     * What the template is about, as keys a later template is compared by (`simple-n:range:4:...`,
     * `poc:HANDLE`...; src/templates/subjects.ts): an approval closes earlier rejections of the
     * same account about the same thing (src/worker/superseded.ts).
     */
    subjects: textList('subjects'),
    appliedAt: timestamp('applied_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.submissionId, t.templateIndex] }),
    // Searched by every message's last statement (superseded.ts), so written straight into the
    // index: with GIN's fast update, new rows went to a pending list that every search reads
    // through until a vacuum merges it, and the search grew with the rows written since.
    index('submission_templates_subjects_idx').using('gin', t.subjects).with({ fastupdate: false }),
  ],
);

/**
 * The texts a template has had: version 1 as the customer sent it, then one per staff edit, each
 * built on the one before (API keys hidden, as in the echo). Written by the worker with the edit
 * it applies, so a version exists exactly when its edit was run; none at all until the first edit.
 */
export const templateVersions = pgTable(
  'template_versions',
  {
    submissionId: text('submission_id')
      .notNull()
      .references(() => submissions.id, { onDelete: 'cascade' }),
    templateIndex: integer('template_index').notNull(),
    version: integer('version').notNull(),
    /** The whole template, `Template:` line to END OF TEMPLATE, API keys redacted. */
    text: text('text').notNull(),
    /** `customer` for version 1, `staff:<email>` for an edit. */
    author: text('author').notNull(),
    /** The staff job that wrote it: a job run again after its commit finds its own version. */
    jobId: text('job_id'),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.submissionId, t.templateIndex, t.version] })],
);

export const TICKET_STATUSES = ['approved', 'rejected', 'pending_review', 'closed'] as const;
export type TicketStatus = (typeof TICKET_STATUSES)[number];

export const tickets = pgTable(
  'tickets',
  {
    number: text('number').primaryKey(),
    submissionId: text('submission_id').references(() => submissions.id, { onDelete: 'set null' }),
    templateIndex: integer('template_index'),
    status: text('status', { enum: TICKET_STATUSES }).notNull(),
    resolution: text('resolution'),
    /**
     * The template's Additional Information, a note to the hostmaster (API keys redacted): staff
     * read it with the ticket whether or not the template was applied. Null when not filled.
     */
    additionalInfo: text('additional_info'),
    createdAt: createdAt(),
    closedAt: timestamp('closed_at', { withTimezone: true }),
  },
  (t) => [index('tickets_submission_idx').on(t.submissionId, t.templateIndex)],
);

/** Per-day counter behind ticket numbers `YYYYMMDD-X<7 digits>`: unique and monotonic within a day. */
export const ticketCounters = pgTable('ticket_counters', {
  day: text('day').primaryKey(),
  last: integer('last').notNull(),
});

/** Per-kind counters behind generated handles (POC suffix numbers, customer numbers, net serials). */
export const handleCounters = pgTable('handle_counters', {
  name: text('name').primaryKey(),
  last: bigint('last', { mode: 'number' }).notNull(),
});

/**
 * `superseded`: closed by the system, not by staff, when a later template of the same account
 * asking the same change of the same range or handle (or the same new net by its network name and
 * customer) was approved (`superseded_by` names its submission).
 * `refiled`: a staff action (reprocess, override, edit and apply) applied nothing and the
 * template was refused for another reason, filed as a new open rejection (named in the notes):
 * nothing was approved.
 */
export const REJECTION_STATES = [
  'open',
  'reprocessed',
  'overridden',
  'dismissed',
  'rejected',
  'superseded',
  'refiled',
] as const;
export type RejectionState = (typeof REJECTION_STATES)[number];

/**
 * Reason codes of queue rows that wait for a staff decision rather than a fix, shown in the
 * console's triage tab: work held for review (its sender holds an open ticket until staff
 * approve or reject it), a message without a template that answers our mail (a question, a
 * complaint: staff read it and answer), and an unclear answer to a POC validation mail.
 */
export const STAFF_REVIEW_REASON = 'E_STAFF_REVIEW';
export const ANSWER_TO_US_REASON = 'E_ANSWER_TO_OUR_MAIL';
/**
 * An answer to a POC validation mail that is not a plain confirmation (a question, a change, "I
 * am not the right contact"): its sender was told staff read it, so it waits for their decision
 * like any answer to our mail, never among the typos a bulk dismissal clears.
 */
export const VALIDATION_UNCLEAR_REASON = 'E_VALIDATION_UNCLEAR';
/**
 * The one rule: every row whose sender was told "staff will read it" carries one of these codes,
 * and the triage tab and the bulk actions go by this list.
 */
export const DECISION_REASONS = [
  STAFF_REVIEW_REASON,
  ANSWER_TO_US_REASON,
  VALIDATION_UNCLEAR_REASON,
] as const;

export const rejections = pgTable(
  'rejections',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    submissionId: text('submission_id')
      .notNull()
      .references(() => submissions.id, { onDelete: 'cascade' }),
    /** Null when the message as a whole was refused. */
    templateIndex: integer('template_index'),
    reasonCode: text('reason_code').notNull(),
    reason: text('reason').notNull(),
    form: text('form'),
    sender: text('sender'),
    state: text('state', { enum: REJECTION_STATES }).notNull().default('open'),
    staffNotes: text('staff_notes'),
    closedBy: text('closed_by'),
    /** State `superseded`: the submission whose approved template closed this rejection. */
    supersededBy: text('superseded_by'),
    createdAt: createdAt(),
    closedAt: timestamp('closed_at', { withTimezone: true }),
  },
  (t) => [
    // Keyset paging of the staff queue: (state, created_at, id), with and without a reason filter.
    index('rejections_state_created_idx').on(t.state, t.createdAt, t.id),
    index('rejections_reason_idx').on(t.state, t.reasonCode, t.createdAt, t.id),
    index('rejections_submission_idx').on(t.submissionId),
    uniqueIndex('rejections_template_idx').on(t.submissionId, t.templateIndex, t.reasonCode),
  ],
);

export const MESSAGE_LINK_WAYS = [
  'in-reply-to',
  'references',
  'ticket-in-subject',
  'ticket-in-body',
  /** No id or ticket named, but the Subject keeps the Subject of our mail to the sender (answers-to-us.ts). */
  'subject-of-our-mail',
] as const;
export type MessageLinkWay = (typeof MESSAGE_LINK_WAYS)[number];

/**
 * A message that answers mail we sent (one of our replies or notices), or names one of our
 * tickets: which submission and ticket it answers, and how we know. A message without a
 * template so linked is a question or complaint for staff (src/worker/answers-to-us.ts).
 */
export const messageLinks = pgTable(
  'message_links',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    submissionId: text('submission_id')
      .notNull()
      .references(() => submissions.id, { onDelete: 'cascade' }),
    /** The submission our answered mail was about. */
    answersSubmissionId: text('answers_submission_id'),
    ticketNumber: text('ticket_number'),
    /** The Message-ID of ours it names (In-Reply-To or References), when it names one. */
    ourMessageId: text('our_message_id'),
    way: text('way', { enum: MESSAGE_LINK_WAYS }).notNull(),
    /**
     * The sender's address was among the recipients of our mail about that submission: a
     * ticket number anyone may type, this says the writer was told about it by us.
     */
    senderWasRecipient: boolean('sender_was_recipient').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    index('message_links_submission_idx').on(t.submissionId),
    index('message_links_answers_idx').on(t.answersSubmissionId),
    index('message_links_ticket_idx').on(t.ticketNumber),
  ],
);

export const auditLog = pgTable(
  'audit_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
    /** `account:12`, `staff:alice@registry.example`, `seed`, `system`. */
    actor: text('actor').notNull(),
    action: text('action').notNull(),
    objectType: text('object_type').notNull(),
    objectHandle: text('object_handle').notNull(),
    ticketNumber: text('ticket_number'),
    submissionId: text('submission_id'),
    before: jsonb('before'),
    after: jsonb('after'),
    note: text('note'),
  },
  (t) => [
    index('audit_object_idx').on(t.objectType, t.objectHandle),
    index('audit_submission_idx').on(t.submissionId),
    index('audit_ticket_idx').on(t.ticketNumber),
  ],
);

export const VALIDATION_REQUEST_STATES = ['pending', 'validated', 'expired', 'bounced'] as const;
export type ValidationRequestState = (typeof VALIDATION_REQUEST_STATES)[number];
export const VALIDATION_ANSWERS = ['mail', 'web', 'template', 'staff'] as const;
export type ValidationAnswerKind = (typeof VALIDATION_ANSWERS)[number];

/**
 * One validation mail: a POC asked, in one round (the UTC day it was sent), to confirm its
 * record. The row and its outbox mail are written in one transaction, and (round, POC) is unique,
 * so a round run again or resumed mails nobody twice. The one-time token is kept only as its
 * SHA-256 digest.
 */
export const pocValidations = pgTable(
  'poc_validations',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** The round's day, `YYYY-MM-DD` (UTC). */
    round: text('round').notNull(),
    pocHandle: text('poc_handle')
      .notNull()
      .references(() => pocs.handle, { onDelete: 'cascade' }),
    /** The validation mail's Message-ID, with brackets: answers name it in In-Reply-To/References. */
    messageId: text('message_id').notNull(),
    tokenDigest: text('token_digest').notNull(),
    recipients: textList('recipients'),
    sentAt: timestamp('sent_at', { withTimezone: true }).notNull(),
    /** The answer is due before this; the token expires with it. */
    deadline: timestamp('deadline', { withTimezone: true }).notNull(),
    state: text('state', { enum: VALIDATION_REQUEST_STATES }).notNull().default('pending'),
    answeredAt: timestamp('answered_at', { withTimezone: true }),
    answeredBy: text('answered_by', { enum: VALIDATION_ANSWERS }),
    /** The submission that answered (mail or template), when one did. */
    answerSubmissionId: text('answer_submission_id'),
    /**
     * The one recipient the answer proves read the mail: a mail answer's sender when DKIM or SPF
     * verified it and it is one of `recipients`. The token alone proves only that one of the
     * recipients read it, so null for a web answer or an unverified one (finding rev-trust F3).
     */
    answeredFrom: text('answered_from'),
  },
  (t) => [
    uniqueIndex('poc_validations_round_poc_idx').on(t.round, t.pocHandle),
    uniqueIndex('poc_validations_message_id_idx').on(t.messageId),
    uniqueIndex('poc_validations_token_idx').on(t.tokenDigest),
    index('poc_validations_poc_idx').on(t.pocHandle, t.sentAt),
    index('poc_validations_due_idx').on(t.state, t.deadline),
  ],
);

export const OUTBOX_STATES = ['pending', 'sent', 'failed'] as const;
export type OutboxState = (typeof OUTBOX_STATES)[number];

/**
 * What became of one recipient of an outbox mail, once settled: `sent` (the relay took it for
 * this address, which is never sent it again) or `failed` (refused for good, or still refused
 * when the attempts ran out). `reply` is the relay's answer; `at` when it came (ISO 8601).
 */
export interface RecipientOutcome {
  readonly state: 'sent' | 'failed';
  readonly reply: string;
  readonly at: string;
}

/** The relay's last answer for a recipient of a mail it has not settled yet (deferred, or not answered for). */
export interface RelayAnswer {
  readonly reply: string;
  readonly at: string;
}

/** Mail to send, written in the same transaction as what it reports, sent after commit. */
export const outbox = pgTable(
  'outbox',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** Stable per reply (`<submission>.<part>@host`): a resend is recognisable, a re-run adds no second row. */
    messageId: text('message_id').notNull(),
    submissionId: text('submission_id').references(() => submissions.id, { onDelete: 'set null' }),
    kind: text('kind', { enum: ['reply', 'notification', 'staff', 'validation'] }).notNull(),
    envelopeFrom: text('envelope_from').notNull().default(''),
    recipients: textList('recipients'),
    /** The complete RFC 5322 message, ready to send. */
    raw: text('raw').notNull(),
    state: text('state', { enum: OUTBOX_STATES }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull().defaultNow(),
    lastError: text('last_error'),
    /**
     * The recipients settled so far, by address (a mail the relay took for some and deferred for
     * others); a recipient not named here is still to be reached, or was reached by the attempt
     * that marked the whole row `sent`.
     */
    recipientOutcomes: jsonb('recipient_outcomes')
      .$type<Record<string, RecipientOutcome>>()
      .notNull()
      .default({}),
    /**
     * The last attempt failed on the relay itself (unreachable, refusing our session or login),
     * not on this mail: it did not count against the mail's attempts, and the sender that next
     * sees the relay take mail makes such rows due at once.
     */
    waitsForRelay: boolean('waits_for_relay').notNull().default(false),
    /**
     * Each recipient the last attempt answered for without settling it (a 4xx to RCPT TO, no
     * answer), by address, with the relay's answer as given: what the console shows beside a
     * recipient still waiting. Written with `last_error` by the attempt that settled others;
     * emptied by an attempt that failed for the whole mail, whose `last_error` is then every
     * waiting recipient's answer.
     */
    waitingAnswers: jsonb('waiting_answers').$type<Record<string, RelayAnswer>>().notNull().default({}),
    createdAt: createdAt(),
    sentAt: timestamp('sent_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('outbox_message_id_idx').on(t.messageId),
    index('outbox_due_idx').on(t.state, t.nextAttemptAt),
    index('outbox_submission_idx').on(t.submissionId),
  ],
);

/** Registry staff who sign in to the console. Passwords are kept only as scrypt hashes. */
export const staffUsers = pgTable(
  'staff_users',
  {
    id: serial('id').primaryKey(),
    /** Lower-cased; the sign-in name and the actor in the audit log (`staff:<email>`). */
    email: text('email').notNull(),
    /** `scrypt$N$r$p$<salt b64>$<hash b64>`. */
    passwordHash: text('password_hash').notNull(),
    /** Set for a printed one-time password: the first sign-in must choose a new one. */
    mustChangePassword: boolean('must_change_password').notNull().default(false),
    createdAt: createdAt(),
    disabledAt: timestamp('disabled_at', { withTimezone: true }),
  },
  (t) => [uniqueIndex('staff_users_email_idx').on(t.email)],
);

/** A signed-in browser. The cookie holds a random token; only its SHA-256 digest is stored. */
export const staffSessions = pgTable(
  'staff_sessions',
  {
    tokenDigest: text('token_digest').primaryKey(),
    staffUserId: integer('staff_user_id')
      .notNull()
      .references(() => staffUsers.id, { onDelete: 'cascade' }),
    /** A one-shot message for the next page (post/redirect/get), e.g. the result of an action. */
    flash: jsonb('flash').$type<{ kind: 'ok' | 'error'; text: string }>(),
    createdAt: createdAt(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('staff_sessions_user_idx').on(t.staffUserId)],
);

/** Every sign-in attempt, known address or not: repeated failures lock the address out for a while. */
export const staffLoginAttempts = pgTable(
  'staff_login_attempts',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    email: text('email').notNull(),
    succeeded: boolean('succeeded').notNull(),
    remoteAddress: text('remote_address'),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('staff_login_attempts_email_idx').on(t.email, t.at)],
);

/**
 * Secrets the console processes share, made once by whichever starts first: the key that signs
 * the CSRF cookie, so a form stays valid across a restart and whichever console replica answers.
 */
export const consoleSecrets = pgTable('console_secrets', {
  name: text('name').primaryKey(),
  value: text('value').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});
