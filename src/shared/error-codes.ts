/**
 * The one error catalogue: every code hostmasterd gives, what it means, the stage that raises it,
 * the template field it is about and the file that explains it when it refuses a whole message.
 * `ErrorCode` is a key of this table, so a code that is not here does not compile.
 *
 * Adding a code is adding its entry, in the section of its stage: `stage` and `meaning` always;
 * `field: 'range' | 'handle' | 'named'` for a registry rule the reply should pin to a field of the
 * sender's form (`'line'` when the raiser sets the field itself); `refusal: 'E_CODE.txt'` when a
 * message refused as a whole with it gets its own explanation, written in
 * templates/replies/refusals/E_CODE.txt (others get default.txt). Then `npm run docs:error-codes`
 * rewrites docs/error-codes.md; test/architecture/error-codes.test.ts fails while it differs, or
 * while a source, view, reply text or document names a code that has no entry.
 */

/** Where a code is raised, and so who hears it and how. */
export type ErrorStage =
  /** Reading the raw message (MIME, HTML): the message is refused as a whole, in a reply. */
  | 'mail'
  /** Splitting the text into templates: the message is refused as a whole, in a reply. */
  | 'message'
  /** One template, before or beside its fields: its block in the reply says so. */
  | 'template'
  /** One field of a template: `Error: E_CODE field NN line L: ...` in the reply. */
  | 'field'
  /** Who is asking (API key, sender address, DKIM): in the reply. */
  | 'auth'
  /** A rule of the registry broken by a template's request: in the reply. */
  | 'registry'
  /** The job as a whole (given up, held for staff, answers withheld): reply and staff queue. */
  | 'worker'
  /** The SMTP answer to the sending server (and the ingress metrics); no mail is written. */
  | 'smtp'
  /** A staff action in the console, or the console refusing a request. */
  | 'console'
  /** The operator at a terminal: start-up, configuration and the CLI. */
  | 'operator'
  /** `parseReply` (test/support/reply-reader.ts), which reads our replies back as a billing system does. */
  | 'reply-reader'
  /** The public role's WHOIS and RDAP answers to anyone looking the registry up. */
  | 'public';

/**
 * The template field a code is about, so the reply can say `field 03` in the sender's own
 * numbering (registry rules speak of values, not of form lines):
 * - `line`: the field on the problem's line; whoever raises it says which (the parser does);
 * - `range`, `handle`: the form's field of that key, in the version the sender used;
 * - `named`: the field whose value the sentence quotes, else the request's handle (POC, org) or
 *   range (nets).
 * Without one, the code is about no single field.
 */
export type ProblemFieldKey = 'line' | 'range' | 'handle' | 'named';

export interface ErrorCodeEntry {
  readonly stage: ErrorStage;
  /** What the code means, for the documentation, staff and whoever reads a reply. */
  readonly meaning: string;
  readonly field?: ProblemFieldKey;
  /**
   * The file in templates/replies/refusals/ that explains a whole-message refusal with this code
   * (read at start: a missing one stops the daemon). Without it, such a refusal gets default.txt.
   */
  readonly refusal?: `${string}.txt`;
}

export const ERROR_CODES = {
  // ── mail: the raw message could not be read ──────────────────────────────────────────────
  E_BAD_MIME: {
    stage: 'mail',
    meaning:
      "the raw message could not be read as MIME, or its template stands where no mail program shows it (a multipart's preamble, a part we do not read): the refusal names the place",
  },
  E_UNSUPPORTED_CHARSET: {
    stage: 'mail',
    meaning:
      'a text part is labelled with a charset we cannot decode (neither Node, iconv-lite nor our EBCDIC pages know it) and its bytes are not plain ASCII: the refusal names the label; nothing is read as bytes',
  },
  E_MESSAGE_TOO_COMPLEX: {
    stage: 'mail',
    meaning:
      'reading the message took more than READ_TIME_LIMIT_MS (30 s) or 512 MB in its thread, which was stopped',
    refusal: 'E_MESSAGE_TOO_COMPLEX.txt',
  },
  E_HTML_TOO_COMPLEX: {
    stage: 'mail',
    meaning:
      'nothing to read but HTML past the limits (1,000,000 characters, 40,000 tags, 256 levels of nesting); not parsed',
    refusal: 'E_HTML_TOO_COMPLEX.txt',
  },

  // ── message: the text holds no template to work on, or too many ──────────────────────────
  E_NO_TEMPLATE: {
    stage: 'message',
    meaning: 'no "Template: ..." block outside quoted (> ) lines, or only blank forms (every field empty)',
    refusal: 'E_NO_TEMPLATE.txt',
  },
  E_HTML_ONLY: {
    stage: 'message',
    meaning:
      'no template could be read and the message has only an HTML part: templates are sent as plain text',
    refusal: 'E_HTML_ONLY.txt',
  },
  E_FORWARDED_TEMPLATE: {
    stage: 'message',
    meaning:
      'a template inside a forwarded or quoted message (attached as message/rfc822, or written into the text below a line such as "-----Original Message-----" or "On ... wrote:"), which is not applied: the message is refused when it has no template of its own; beside the sender\'s own templates, a Not-applied line of the reply names each such template (form, line) and the others are processed',
    refusal: 'E_FORWARDED_TEMPLATE.txt',
  },
  E_QUOTED_TEMPLATE: {
    stage: 'message',
    meaning:
      'a template quoted with ">" beside the sender\'s own templates: not applied, named in a Not-applied line of the reply (form, line); a message whose only templates are quoted is E_NO_TEMPLATE',
  },
  E_DRY_RUN_NOT_TEMPLATES: {
    stage: 'message',
    meaning:
      'a dry run of a message that holds no template but answers our mail (a POC validation mail, a reply, a change notice, a ticket): a dry run checks templates only, validates nothing and leaves nothing for staff; send it again as a real run',
  },
  E_TOO_MANY_TEMPLATES: {
    stage: 'message',
    meaning:
      'more than MAX_TEMPLATES_PER_MESSAGE (10) templates in one message (the same one twice counts once, blank forms not at all); none is processed',
    refusal: 'E_TOO_MANY_TEMPLATES.txt',
  },
  E_MULTIPLE_API_KEYS: {
    stage: 'message',
    meaning:
      "two different API keys in the message (any template's line 00, readable or not, and the Subject)",
    refusal: 'E_MULTIPLE_API_KEYS.txt',
  },

  // ── template: one template as a whole ────────────────────────────────────────────────────
  E_UNKNOWN_TEMPLATE: { stage: 'template', meaning: 'unknown form, or a major version we do not accept' },
  E_MISSING_END: { stage: 'template', meaning: 'the template has no END OF TEMPLATE line' },
  E_INVALID_TEMPLATE: {
    stage: 'template',
    meaning: 'the template could not be read (safety net; should not happen)',
  },
  E_TOO_MANY_PROBLEMS: {
    stage: 'template',
    meaning:
      'the last problem listed for a template with more than 100: counts those not listed (only the first 100 by line are)',
  },

  // ── field: one line or value of a template ───────────────────────────────────────────────
  E_UNEXPECTED_LINE: {
    stage: 'field',
    meaning:
      'a line inside the template that is neither a field (numbered, or written as a label of its form) nor a continuation of one',
    field: 'line',
  },
  E_MALFORMED_LINE: {
    stage: 'field',
    meaning: 'a numbered line without ":" between label and value',
    field: 'line',
  },
  E_AMBIGUOUS_LINE: {
    stage: 'field',
    meaning:
      "a numbered line whose label is none of the form's, under a field that goes on over more lines (Address, Public Comments, Additional Information), whose number goes back to an earlier field: one more line of the value above, or that field? Refused, not guessed",
    field: 'line',
  },
  E_UNKNOWN_FIELD: {
    stage: 'field',
    meaning:
      "a line whose label is none of the form version's and whose number it does not have (a known label is read as its field, whatever its number)",
    field: 'line',
  },
  E_RETIRED_FIELD: {
    stage: 'field',
    meaning:
      'data in a retired field (02-19 of 5.x detailed/reallocate forms) when field 01 names no Org ID (with one, they are skipped)',
    field: 'line',
  },
  E_MISSING_FIELD: {
    stage: 'field',
    meaning: 'a field required for this registration action is blank (or, in the registry, cleared)',
    field: 'line',
  },
  E_UNEXPECTED_VALUE: {
    stage: 'field',
    meaning: 'a field that must be blank for this action is filled (e.g. the handle on N)',
    field: 'line',
  },
  E_TOO_MANY_VALUES: {
    stage: 'field',
    meaning: 'a single-valued field repeated or continued, or too many lines of a repeatable one',
    field: 'line',
  },
  E_TOO_LONG: { stage: 'field', meaning: 'a value longer than the field allows', field: 'line' },
  E_CONTROL_CHARACTER: {
    stage: 'field',
    meaning:
      'a value holding a control character (NUL, ESC, ...; the echo shows it as its symbol, e.g. ␀) or a bidirectional embedding, override or isolate (U+202A-202E, U+2066-2069; shown as \\u202e)',
    field: 'line',
  },
  E_LINE_BREAK_CHARACTER: {
    stage: 'field',
    meaning:
      'a value holding a character some reader ends a line at besides LF (VT, FF, CR, FS, GS, RS, NEL U+0085, LS U+2028, PS U+2029): a value is one line',
    field: 'line',
  },
  E_UNREADABLE_CHARACTER: {
    stage: 'field',
    meaning: 'a value holding U+FFFD: bytes that did not fit the character set the message declared',
    field: 'line',
  },
  E_CANNOT_CLEAR: { stage: 'field', meaning: 'NONE on a required field', field: 'line' },
  E_NOTHING_TO_CHANGE: { stage: 'field', meaning: 'a modify that changes nothing', field: 'line' },
  E_AMBIGUOUS_VALUE: {
    stage: 'field',
    meaning:
      'both a handle and the details of a new net POC (version 4 embedded forms; with a Downstream Org ID, the org lines 02-19 are skipped, not refused)',
    field: 'line',
  },
  E_INVALID_ACTION: {
    stage: 'field',
    meaning: 'a registration action the form does not take',
    field: 'line',
  },
  E_INVALID_API_KEY: {
    stage: 'field',
    meaning:
      'line 00 is not API-XXXX-XXXX-XXXX-XXXX (4 to 8 groups); a key in another shape is named redacted',
    field: 'line',
  },
  E_INVALID_IP: {
    stage: 'field',
    meaning: 'not an IP prefix or range, host bits set, or the wrong IP version for the form',
    field: 'line',
  },
  E_INVALID_ORIGIN_AS: { stage: 'field', meaning: 'not a list of AS numbers', field: 'line' },
  E_INVALID_COUNTRY: { stage: 'field', meaning: 'not an ISO 3166-1 alpha-2 country code', field: 'line' },
  E_INVALID_EMAIL: { stage: 'field', meaning: 'not an e-mail address', field: 'line' },
  E_INVALID_PHONE: { stage: 'field', meaning: 'not a phone number or extension', field: 'line' },
  E_INVALID_HANDLE: {
    stage: 'field',
    meaning: 'not a POC handle (JD123-ARIN) or Org ID (EXAMPLE-1)',
    field: 'line',
  },
  E_INVALID_VALUE: {
    stage: 'field',
    meaning:
      'another malformed value (Yes/No, contact type, net POC type, host name, network name, referral server)',
    field: 'line',
  },

  // ── auth: who is asking ──────────────────────────────────────────────────────────────────
  E_UNKNOWN_API_KEY: { stage: 'auth', meaning: 'the API key belongs to no account' },
  E_API_KEY_REVOKED: {
    stage: 'auth',
    meaning:
      'the API key was revoked (hostmasterd key revoke); staff issue a new one (hostmasterd key issue); told to senders as E_INVALID_API_KEY',
  },
  E_API_KEY_REQUIRED: {
    stage: 'auth',
    meaning: 'no API key, and SENDER_AUTH=off: a sender address alone authorizes nothing',
  },
  E_UNKNOWN_SENDER: {
    stage: 'auth',
    meaning: 'no API key, and the proven sender address (or no From at all) belongs to no account',
    refusal: 'E_UNKNOWN_SENDER.txt',
  },
  E_AMBIGUOUS_SENDER: {
    stage: 'auth',
    meaning: 'no API key, and the proven sender address belongs to more than one account',
  },
  E_SENDER_NOT_VERIFIED: {
    stage: 'auth',
    meaning:
      'no API key, and the sender address is not proven (DKIM aligned with From, or SPF, as SENDER_AUTH asks); said alike whether the address is ours or not',
  },
  E_NOT_ADDRESSED_TO_US: {
    stage: 'auth',
    meaning:
      'a valid DKIM signature whose signed To and Cc name none of our addresses: a message written to someone else, sent on',
    refusal: 'E_NOT_ADDRESSED_TO_US.txt',
  },
  E_REPLAYED_SIGNATURE: {
    stage: 'auth',
    meaning:
      'the DKIM signature already authorized another message: this one is a copy, nothing in it is processed',
    refusal: 'E_REPLAYED_SIGNATURE.txt',
  },
  E_NOT_AUTHORIZED: {
    stage: 'auth',
    meaning:
      'the requester does not manage the object (the sentence names whose it is); also /metrics without its token or from afar',
    field: 'named',
  },

  // ── registry: a rule of the registry ─────────────────────────────────────────────────────
  E_OBJECT_NOT_FOUND: {
    stage: 'registry',
    meaning: 'no POC, org, net or ticket with that handle or range',
    field: 'named',
  },
  E_DUPLICATE: { stage: 'registry', meaning: 'an account name or API key that exists already (seeding)' },
  E_PREFIX_TOO_SMALL: {
    stage: 'registry',
    meaning: 'IPv4 smaller than a /29 or IPv6 longer than a /64 (staff may waive it)',
    field: 'range',
  },
  E_OVERLAP: {
    stage: 'registry',
    meaning: 'the range overlaps a sibling, or a net that cannot be divided further',
    field: 'range',
  },
  E_NOT_WITHIN_PARENT: {
    stage: 'registry',
    meaning: 'the range lies inside no allocation or reallocation registered with us',
    field: 'range',
  },
  E_AMBIGUOUS_RANGE: { stage: 'registry', meaning: 'more than one net has the given range', field: 'range' },
  E_WRONG_FORM: {
    stage: 'registry',
    meaning: 'Reassign-Simple on a net that is not a simple reassignment, or Net-Mod on one that is',
    field: 'range',
  },
  E_NOT_REMOVABLE: {
    stage: 'registry',
    meaning: 'a direct allocation is returned to the registry through staff only',
  },
  E_POC_IN_USE: {
    stage: 'registry',
    meaning:
      'a POC still named by an org, a net or another account cannot be removed (the sentence lists where)',
    field: 'handle',
  },
  E_ORG_IN_USE: {
    stage: 'registry',
    meaning: 'an org that still holds nets or customers cannot be removed',
    field: 'handle',
  },
  E_ROLE_NOT_ALLOWED: {
    stage: 'registry',
    meaning: "a role POC where a person is needed: an org's admin (voting) contact",
  },
  E_TICKET_CLOSED: { stage: 'registry', meaning: 'the ticket is already closed' },
  E_INVALID_FIELD: {
    stage: 'registry',
    meaning:
      'a value the registry cannot take: a role POC with a first or middle name, a malformed referral server',
  },
  E_INVALID_NET_NAME: {
    stage: 'registry',
    meaning: 'a network name other than letters, digits, "-" and "_", or longer than 50 characters',
  },
  E_INVALID_HOSTNAME: { stage: 'registry', meaning: 'a reverse name server that is not a host name' },
  E_INTERNAL: {
    stage: 'registry',
    meaning:
      'data that should not exist (a simple reassignment without a customer, a parent without a holder); also the SMTP answer to a fault of ours',
  },

  // ── worker: the job as a whole ───────────────────────────────────────────────────────────
  E_ANSWER_TO_OUR_MAIL: {
    stage: 'worker',
    meaning:
      'a message without a template that answers mail we sent (a question, a complaint about a change): held for staff, its sender acknowledged once',
  },
  E_POC_UNVALIDATED: {
    stage: 'auth',
    meaning:
      "every POC linked to the requester's account is invalid (its annual validation went unanswered for 60 days): only a POC template M of one of them is processed",
  },
  E_VALIDATION_USED: {
    stage: 'worker',
    meaning:
      'the POC is validated already: its token was used (it works once), or a POC template or staff validated it before the answer',
  },
  E_VALIDATION_EXPIRED: {
    stage: 'worker',
    meaning: "a POC validation answer after its round's answer period: a POC template M validates instead",
  },
  E_VALIDATION_UNKNOWN: { stage: 'worker', meaning: 'a POC validation token or link we did not issue' },
  E_VALIDATION_NOT_READ: {
    stage: 'worker',
    meaning:
      'a message of templates that also answers a POC validation mail (CORRECT, a Validation-Token line): the templates are processed, the answer is not read and nothing is validated by it; the reply says so',
  },
  E_VALIDATION_TOKEN_NEEDED: {
    stage: 'worker',
    meaning:
      "an answer naming a validation mail only by its Message-ID (In-Reply-To/References), from an address that is not the POC's and no account linked to it: the thread is no proof, the token is needed",
  },
  E_VALIDATION_UNCLEAR: {
    stage: 'worker',
    meaning:
      'an answer to a POC validation mail that is not a plain confirmation that the record is correct (a question, a change, a complaint, anything more): held for staff under "Needs a decision"',
  },
  E_STAFF_REVIEW: {
    stage: 'worker',
    meaning:
      'the request is held for staff review (a large block, IPv6 to an org that holds some, a subtree removal)',
  },
  E_PROCESSING_FAILED: {
    stage: 'worker',
    meaning:
      'the job failed for good (tries used up, its workers killed under it, an outage longer than its retries); staff have the message',
  },
  E_NOT_ANSWERED: {
    stage: 'worker',
    meaning:
      'templates were handled but their replies were not sent (the reply limit, whom we answer); for staff',
  },
  E_REJECTED_BY_STAFF: {
    stage: 'worker',
    meaning: "staff rejected work held for review; the sentence is staff's reason",
  },
  E_FORGED_STAFF_JOB: {
    stage: 'worker',
    meaning: "a staff job without the console's proof, or naming no active staff account; nothing was done",
  },

  // ── smtp: the answer to the sending server ───────────────────────────────────────────────
  E_EMPTY_MESSAGE: { stage: 'smtp', meaning: 'the message is empty' },
  E_NOT_A_MAIL: {
    stage: 'smtp',
    meaning: 'the message does not start with header lines, or its headers are too long',
  },
  E_MESSAGE_TOO_LARGE: { stage: 'smtp', meaning: 'the message is larger than MAX_MESSAGE_BYTES (552)' },
  E_UNSTORABLE_MESSAGE: {
    stage: 'smtp',
    meaning: 'the database refused the message as it is (not a fault that passes); not accepted',
  },
  E_DATABASE_UNAVAILABLE: {
    stage: 'smtp',
    meaning:
      'the database cannot be reached: 451 (the sender tries again), exit 75 for submit, a stop at start',
  },
  E_QUEUE_UNAVAILABLE: {
    stage: 'smtp',
    meaning: 'Redis cannot be reached: 451 (the sender tries again); in the console, the action waits for it',
  },
  E_DELIVERY_UNDECIDED: {
    stage: 'smtp',
    meaning:
      'the same message (Message-ID and bytes) came earlier from another SMTP client or envelope sender and is not decided yet: 451 (the sender tries again; then it is that message, or, if that one was refused unverified, a new one)',
  },
  E_UNKNOWN_RECIPIENT: { stage: 'smtp', meaning: 'a recipient that is none of HOSTMASTER_ADDRESSES (550)' },
  E_CONNECTION_LIMIT: {
    stage: 'smtp',
    meaning: 'more messages on one connection than RATE_PER_CONNECTION',
  },
  E_SENDER_RATE: {
    stage: 'smtp',
    meaning: 'more messages from one sender address and client than RATE_PER_SENDER_PER_HOUR',
  },
  E_TOO_MANY_CONNECTIONS: {
    stage: 'smtp',
    meaning: 'more open connections from one client than SMTP_MAX_CONNECTIONS_PER_CLIENT (421)',
  },
  E_INGRESS_FULL: { stage: 'smtp', meaning: 'the ingress has MAX_CONNECTIONS open already (421)' },
  E_TOO_MANY_REFUSALS: {
    stage: 'smtp',
    meaning: 'more refused commands on one connection than SMTP_MAX_REFUSED_COMMANDS (421, closed)',
  },
  E_COMMAND_TIMEOUT: { stage: 'smtp', meaning: 'a command took longer than SMTP_IDLE_TIMEOUT_MS (421)' },
  E_SESSION_TIMEOUT: {
    stage: 'smtp',
    meaning: 'the session lasted longer than SMTP_SESSION_TIMEOUT_MS (421)',
  },
  E_DATA_TOO_SLOW: { stage: 'smtp', meaning: 'DATA arrived slower than SMTP_MIN_DATA_RATE (421)' },
  E_INGRESS_BUSY: {
    stage: 'smtp',
    meaning: 'SMTP_MAX_CONCURRENT_DATA large messages were in memory already and none ended in time (421)',
  },

  // ── console: staff actions ───────────────────────────────────────────────────────────────
  E_NOT_FOUND: { stage: 'console', meaning: 'the rejection or its submission does not exist' },
  E_ALREADY_CLOSED: {
    stage: 'console',
    meaning: 'the rejection was closed already (by whom and when is said); nothing was done',
  },
  E_EDIT_CONFLICT: {
    stage: 'console',
    meaning: 'a staff edit was written on an older version of the template than the current one',
  },
  E_REVIEW_CONFLICT: {
    stage: 'console',
    meaning:
      'a staff approval or override was refused because the hold or refusal it decided on reads differently now (e.g. a removal that would now take subdelegations registered after the hold): nothing was applied and the item shows the current words',
  },
  E_EDIT_TOO_LONG: { stage: 'console', meaning: 'a staff edit is longer than a template may be' },
  E_NOT_UNDOABLE: { stage: 'console', meaning: 'only an override or an edit can be undone' },
  E_ALREADY_UNDONE: { stage: 'console', meaning: 'the staff action was undone already' },
  E_DELIVERED_AGAIN: {
    stage: 'console',
    meaning:
      'a reprocess of a message refused unverified, when another delivery of the same message (Message-ID and bytes) was processed since, or still is: run again, the request would be applied twice; the other submission is named, nothing was done',
  },
  E_NOTHING_TO_UNDO: { stage: 'console', meaning: 'the staff action applied nothing that still stands' },
  E_UNDO_CONFLICT: {
    stage: 'console',
    meaning:
      'a staff change cannot be undone because the registry object changed after it, or a later ticket was answered APPROVED with its handle (a resend told "already registered"): undo never overwrites a later change nor takes back a handle another answer gave',
  },
  E_UNDO_UNSUPPORTED: {
    stage: 'console',
    meaning: 'the audit row does not hold what an undo would need to restore',
  },
  E_NOTE_REQUIRED: { stage: 'console', meaning: 'an action that goes to the audit log needs a note' },
  E_NOTE_TOO_LONG: { stage: 'console', meaning: 'a note, reason or message longer than the console takes' },
  E_REASON_REQUIRED: {
    stage: 'console',
    meaning: 'rejecting held work needs the reason mailed to its sender',
  },
  E_ANSWER_REQUIRED: {
    stage: 'console',
    meaning: 'work held for review ends in an answer: approve it or reject it with a reason, not dismiss it',
  },
  E_NOT_HELD: { stage: 'console', meaning: 'only work held for review can be rejected with a reason' },
  E_NOT_A_TEMPLATE: {
    stage: 'console',
    meaning: 'a template action on a rejection of the whole message: reprocess or dismiss it instead',
  },
  E_NOTHING_WAIVED: { stage: 'console', meaning: 'an override with no rule ticked' },
  E_NOT_WAIVABLE: {
    stage: 'console',
    meaning:
      'a rule that cannot be waived (only E_PREFIX_TOO_SMALL, E_NOT_AUTHORIZED and E_STAFF_REVIEW can)',
  },
  E_NOTHING_EDITED: { stage: 'console', meaning: 'an edit that names no field and value' },
  E_NO_RECIPIENT: {
    stage: 'console',
    meaning: "the sender may not be answered (whom we answer), so staff's answer cannot go",
  },
  E_REPLY_LIMIT: {
    stage: 'console',
    meaning: "staff's answer would pass REPLY_LIMIT_PER_RECIPIENT_PER_HOUR; the rejection stays open",
  },
  E_BAD_INPUT: {
    stage: 'console',
    meaning:
      'a console request holds a value no field can (a control character, a day not in the calendar, a page link the console did not make), 400; nothing was done',
  },
  E_READ_ONLY: {
    stage: 'console',
    meaning: 'a change through the read-only queue dashboard (bull-board), 405',
  },
  E_SIGN_IN_FAILED: { stage: 'console', meaning: 'the e-mail address and password do not match' },
  E_SIGN_IN_THROTTLED: {
    stage: 'console',
    meaning: 'too many failed sign-ins for the address or from the network; this try was not checked',
  },
  E_WRONG_PASSWORD: { stage: 'console', meaning: 'the current password given to change it is not right' },
  E_WEAK_PASSWORD: {
    stage: 'console',
    meaning: 'a new password too short, too common or too like the address',
  },
  E_STAFF_EMAIL: { stage: 'console', meaning: 'a staff account name that is not an e-mail address' },
  E_STAFF_EXISTS: {
    stage: 'console',
    meaning:
      'an active staff account for that address exists already (staff add, exit 73; a removed one is reinstated instead)',
  },
  E_STAFF_UNKNOWN: { stage: 'console', meaning: 'no staff account for that address (staff remove, exit 67)' },
  E_STAFF_REMOVED: { stage: 'console', meaning: 'the staff account was removed already' },

  // ── operator: start-up, configuration, the CLI ───────────────────────────────────────────
  E_CONFIG: {
    stage: 'operator',
    meaning: 'a configuration variable with a wrong value (the sentence names it)',
  },
  E_SMTP_LISTEN: { stage: 'operator', meaning: 'the SMTP address is taken or forbidden; exit 1' },
  E_CONSOLE_LISTEN: { stage: 'operator', meaning: "the console's address is taken or forbidden; exit 1" },
  E_QUERY_RATE: {
    stage: 'public',
    meaning:
      'a WHOIS or RDAP client past its per-minute query limit (PUBLIC_QUERIES_PER_MINUTE): RDAP 429, a WHOIS comment line',
  },
  E_WHOIS_LISTEN: {
    stage: 'operator',
    meaning: 'the public WHOIS address (PUBLIC_HOST, WHOIS_PORT) is taken; exit 1',
  },
  E_RDAP_LISTEN: {
    stage: 'operator',
    meaning: 'the public HTTP address of RDAP and the blank forms (PUBLIC_HOST, RDAP_PORT) is taken; exit 1',
  },
  E_OPS_LISTEN: {
    stage: 'operator',
    meaning: 'the address of /metrics, /healthz and /readyz (a process without the console) is taken; exit 1',
  },
  E_DATABASE_LOCKED: {
    stage: 'operator',
    meaning: 'the embedded database is in use by another process (PGlite has one owner)',
  },
  E_COMMAND_SOCKET: {
    stage: 'operator',
    meaning:
      "the embedded daemon's command socket (for seed, demo and staff while it runs) is not this user's own socket",
  },
  E_BAD_REQUEST: {
    stage: 'operator',
    meaning:
      "a request on the embedded daemon's command socket was not one the CLI sends (unknown, too large, not JSON)",
  },
  E_REDIS_MISSING: { stage: 'operator', meaning: 'redis-server is not installed and REDIS_URL is not set' },
  E_REDIS_FAILED: {
    stage: 'operator',
    meaning:
      'the embedded redis-server did not start, or exited and would not start again (the daemon then exits 1)',
  },
  E_REDIS_IN_USE: {
    stage: 'operator',
    meaning: 'the embedded Redis socket belongs to another running process, or something else answers on it',
  },
  E_REDIS_SOCKET_PATH: {
    stage: 'operator',
    meaning: 'the Redis socket path under DATA_DIR is too long for a unix socket',
  },
  E_SEED_INVALID: {
    stage: 'operator',
    meaning: 'the seed file is not in the seed format (docs/seed-format.md)',
  },
  E_REPLY_TEXTS: {
    stage: 'operator',
    meaning: 'a file in templates/replies/ is missing or wrong (the sentence names the file and line)',
  },
  E_STDIN: { stage: 'operator', meaning: 'submit could not read the message from stdin (exit 75)' },
  E_SUBMIT: { stage: 'operator', meaning: 'submit could not hand the message on (exit 75)' },
  E_REFUSED: {
    stage: 'operator',
    meaning: "the running daemon's SMTP port refused the message submit handed it (exit 65)",
  },
  E_DAEMON_UNREACHABLE: {
    stage: 'operator',
    meaning:
      'the embedded database is held by a running daemon whose SMTP port did not take the message (exit 75)',
  },

  // ── reply-reader: reading our replies back ───────────────────────────────────────────────
  E_NOT_A_REPLY: { stage: 'reply-reader', meaning: 'the text is not a hostmasterd reply' },
  E_MALFORMED_REPLY: {
    stage: 'reply-reader',
    meaning: 'a line of a hostmasterd reply is not in the format of docs/reply-format.md',
  },
} as const satisfies Record<`E_${Uppercase<string>}`, ErrorCodeEntry>;

/** A code hostmasterd gives: a key of the catalogue, so a typo does not compile. */
export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERROR_CODES, code);
}

/**
 * The catalogue entry of a code; none for a code that came from outside the type system (a row
 * written by another version of hostmasterd, a job's data).
 */
export function errorCodeEntry(code: ErrorCode): ErrorCodeEntry | undefined {
  return isErrorCode(code) ? ERROR_CODES[code] : undefined;
}
