/**
 * The validation mail a due POC gets, and the short answer a validation reply gets back
 * (docs/reply-format.md, "POC validation"). Values in, raw RFC 5322 text out.
 */
import {
  crlfLines,
  HEADER_STATUS,
  HEADER_SUBMISSION,
  keyFreeHeaders,
  oneLine,
  renderTextMail,
  threadingFields,
} from '../replies/index.ts';
import { formatProblem, type Problem, redactApiKeys } from '../shared/index.ts';
import { ANSWER_DAYS } from './rules.ts';

/** The header naming the POC a validation mail asks about, and the round: for filters and tools. */
export const HEADER_VALIDATION = 'X-Hostmaster-Validation';
export const HEADER_ROUND = 'X-Hostmaster-Validation-Round';

/** The line of a validation mail that carries its token; a reply quoting it answers with it. */
export const TOKEN_LABEL = 'Validation-Token';

/** Answers: VALIDATED, or REJECTED with a Refused line (docs/reply-format.md). */
export const VALIDATION_STATUSES = ['VALIDATED', 'REJECTED'] as const;
export type ValidationStatus = (typeof VALIDATION_STATUSES)[number];

/** Keeps a msg-id part within dot-atom text. */
function atom(part: string): string {
  return part.replace(/[^A-Za-z0-9-]/g, '-') || 'x';
}

/**
 * `<validation.2027-12-08.DEMO1-ARIN.Xk3...@host>`: stable for the POC and round (kept on its
 * row), with a random part, so naming it in In-Reply-To proves the mail was received.
 */
export function validationMessageId(round: string, handle: string, nonce: string, hostname: string): string {
  return `<validation.${atom(round)}.${atom(handle)}.${atom(nonce)}@${hostname.toLowerCase()}>`;
}

const VALIDATION_ID = /<validation\.\d{4}-\d{2}-\d{2}\.[A-Za-z0-9-]+\.[A-Za-z0-9-]+@[^<>\s]+>/g;

/** Every validation Message-ID a text names (In-Reply-To, References, a returned header block). */
export function validationMessageIdsIn(text: string): string[] {
  return [...new Set(text.match(VALIDATION_ID) ?? [])];
}

export interface PocRecord {
  readonly handle: string;
  readonly kind: 'person' | 'role';
  readonly lastName: string;
  readonly firstName: string | null;
  readonly middleName: string | null;
  readonly company: string | null;
  readonly street: readonly string[];
  readonly city: string | null;
  readonly state: string | null;
  readonly postalCode: string | null;
  readonly country: string | null;
  readonly phones: readonly { readonly number: string; readonly extension?: string; readonly kind: string }[];
  readonly emails: readonly string[];
}

/** What the POC serves: `Org DEMOISP-1 (Demo ISP): admin, tech`, `Net NET-... (NAME, 198.51.100.0/24)`. */
export interface Served {
  readonly lines: readonly string[];
  /** How many more there are than `lines` shows. */
  readonly more: number;
}

export interface ValidationMailInput {
  readonly poc: PocRecord;
  readonly served: Served;
  readonly round: string;
  readonly deadline: Date;
  readonly token: string;
  readonly messageId: string;
  readonly recipients: readonly string[];
  /** Where the public role's HTTP listener is reached (PUBLIC_URL): the mail links `/validate/TOKEN` there. */
  readonly publicUrl?: string;
  readonly from: string;
  readonly date: Date;
}

/** The POC as WHOIS shows it: one `Label: value` a line. */
export function pocLines(poc: PocRecord): string[] {
  const name =
    poc.kind === 'role'
      ? poc.lastName
      : [poc.lastName, [poc.firstName, poc.middleName].filter(Boolean).join(' ')].filter(Boolean).join(', ');
  const lines = [
    `POC Handle: ${poc.handle}`,
    `Contact Type: ${poc.kind === 'role' ? 'Role' : 'Person'}`,
    `Name: ${name}`,
    ...(poc.company ? [`Company: ${poc.company}`] : []),
    ...poc.street.map((s) => `Street: ${s}`),
    ...(poc.city ? [`City: ${poc.city}`] : []),
    ...(poc.state ? [`State/Province: ${poc.state}`] : []),
    ...(poc.postalCode ? [`Postal Code: ${poc.postalCode}`] : []),
    ...(poc.country ? [`Country: ${poc.country}`] : []),
    ...poc.phones.map((p) => `Phone: ${p.number}${p.extension ? ` x${p.extension}` : ''} (${p.kind})`),
    ...poc.emails.map((e) => `Email: ${e}`),
  ];
  return lines.map(oneLine);
}

function day(date: Date): string {
  return date.toISOString().slice(0, 10);
}

export function validationSubject(handle: string, deadline: Date): string {
  return `[hostmasterd] Annual validation of POC ${handle}: please confirm by ${day(deadline)}`;
}

export function composeValidationMail(input: ValidationMailInput): string {
  const { poc, served } = input;
  const link = input.publicUrl
    ? [
        `- or open ${input.publicUrl.replace(/\/+$/, '')}/validate/${input.token}`,
        '  and press the button there.',
      ]
    : [];
  const body = [
    `Annual POC validation (NRPM 3.6): POC ${poc.handle}`,
    '',
    // No line of ours starts with a word an answer is read by (recognise.ts), should a mail
    // program quote it without `>`.
    'Every year we ask each point of contact to confirm that its WHOIS',
    'record is correct and complete. This is the record as WHOIS shows it:',
    '',
    ...pocLines(poc).map((l) => `  ${l}`),
    '',
    ...(served.lines.length > 0
      ? [
          'It is a contact of:',
          ...served.lines.map((l) => `  ${oneLine(l)}`),
          ...(served.more > 0 ? [`  and ${served.more} more`] : []),
          '',
        ]
      : []),
    `Please answer by ${day(input.deadline)} (${ANSWER_DAYS} days). How:`,
    '- if everything above is correct, reply to this mail and write CORRECT',
    '  on a line of its own (keep the Validation-Token line below in your reply);',
    `- if something changed, reply with a POC template (ARIN-POC-5.1, action M)`,
    `  for ${poc.handle} with the correct details: applied, it validates the POC too;`,
    ...link,
    '',
    `Unanswered by then, the POC is marked invalid: WHOIS shows it as Unvalidated,`,
    'and an account whose every POC is invalid may only validate or modify its',
    'POCs until one is validated.',
    '',
    `${TOKEN_LABEL}: ${input.token}`,
    '(single use; it expires with the answer period. Do not forward this mail.)',
    '',
    '--',
    `Written automatically by hostmasterd, validation round ${input.round}.`,
    '',
  ].join('\n');
  return renderTextMail({
    from: input.from,
    to: [...input.recipients],
    subject: validationSubject(poc.handle, input.deadline),
    messageId: input.messageId,
    date: input.date,
    headers: {
      // Sent by a schedule, not in answer to anything (RFC 3834).
      'Auto-Submitted': 'auto-generated',
      'X-Auto-Response-Suppress': 'All',
      [HEADER_VALIDATION]: poc.handle,
      [HEADER_ROUND]: input.round,
    },
    text: crlfLines(redactApiKeys(body)),
  });
}

export interface ValidationAnswer {
  readonly submissionId: string;
  readonly to: string;
  readonly messageId: string;
  readonly inReplyTo?: string;
  readonly handle?: string;
  readonly outcome: ValidationOutcome;
  /** Other POCs the same answer named, each with its own outcome. */
  readonly others?: readonly { readonly handle?: string; readonly outcome: ValidationOutcome }[];
  readonly from: string;
  readonly date: Date;
}

export type ValidationOutcome =
  | { readonly validated: true; readonly validUntil: Date }
  | { readonly validated: false; readonly problem: Problem };

/**
 * The answer to a validation reply, short and machine-readable:
 *   hostmasterd validated POC DEMO1-ARIN.      | hostmasterd did not validate: E_VALIDATION_EXPIRED.
 *   Submission: S123                           | Submission: S123
 *   Status: VALIDATED                          | Status: REJECTED
 *   Handle: DEMO1-ARIN                         | Handle: DEMO1-ARIN (when known)
 *   Valid-Until: 2028-12-08                    | Refused: E_VALIDATION_EXPIRED: sentence
 */
export function composeValidationAnswer(answer: ValidationAnswer): string {
  const { outcome } = answer;
  const status: ValidationStatus = outcome.validated ? 'VALIDATED' : 'REJECTED';
  const handle = answer.handle ? oneLine(answer.handle) : undefined;
  const lines = outcome.validated
    ? [
        `hostmasterd validated POC ${handle}.`,
        `Submission: ${answer.submissionId}`,
        `Status: ${status}`,
        `Handle: ${handle}`,
        `Valid-Until: ${day(outcome.validUntil)}`,
        '',
        'Thank you: the record stands as it is. We will ask again in a year.',
      ]
    : [
        `hostmasterd did not validate: ${outcome.problem.code}.`,
        `Submission: ${answer.submissionId}`,
        `Status: ${status}`,
        ...(handle ? [`Handle: ${handle}`] : []),
        `Refused: ${oneLine(formatProblem(outcome.problem))}`,
      ];
  // The other POCs the same answer named (several tokens, or a token and a thread naming two),
  // each in the same lines, so none is passed over in silence.
  for (const other of answer.others ?? []) {
    const o = other.outcome;
    lines.push(
      '',
      `Also in this answer: POC ${other.handle ? oneLine(other.handle) : '(unknown token)'}`,
      ...(other.handle ? [`Handle: ${oneLine(other.handle)}`] : []),
      `Status: ${o.validated ? 'VALIDATED' : 'REJECTED'}`,
      o.validated ? `Valid-Until: ${day(o.validUntil)}` : `Refused: ${oneLine(formatProblem(o.problem))}`,
    );
  }
  const body = [
    ...lines,
    '',
    '--',
    `Written automatically by hostmasterd for submission ${answer.submissionId}.`,
    '',
  ].join('\n');
  return renderTextMail(
    keyFreeHeaders({
      from: answer.from,
      to: answer.to,
      subject: handle
        ? `[hostmasterd] POC ${handle} ${outcome.validated ? 'validated' : 'not validated'}`
        : `[hostmasterd] your message ${answer.submissionId}: not validated`,
      messageId: answer.messageId,
      date: answer.date,
      // The one rule of every answer's threading: an id we cannot write is in neither field.
      ...threadingFields(answer.inReplyTo),
      headers: {
        'Auto-Submitted': 'auto-replied',
        'X-Auto-Response-Suppress': 'All',
        [HEADER_STATUS]: status,
        [HEADER_SUBMISSION]: answer.submissionId,
      },
      text: crlfLines(body),
    }),
  );
}
