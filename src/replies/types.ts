/**
 * What the worker hands to the replies room, and what the room hands to the outbox.
 * These are values only: no database, no network.
 */
import type { BlankForm, Problem } from '../shared/index.ts';

/** One blank form as published; read by the shared room, attached to a forms answer here. */
export type { BlankForm };

/** The outcome of one template, as written in replies (docs/reply-format.md, `Status:`). */
export type TemplateStatus = 'APPROVED' | 'REJECTED' | 'PENDING_REVIEW';

export const TEMPLATE_STATUSES: readonly TemplateStatus[] = ['APPROVED', 'PENDING_REVIEW', 'REJECTED'];

/** One template of a submission, as the worker finished it. */
export interface TemplateReport {
  /** 1-based position in the message. */
  readonly index: number;
  /** How many templates the message held. */
  readonly total: number;
  /** The form as submitted, e.g. 'ARIN-REASSIGN-SIMPLE-5.0'. */
  readonly form: string;
  /** Absent when the template never got as far as a ticket (e.g. it could not be parsed). */
  readonly ticket?: string;
  readonly status: TemplateStatus;
  /** Handles created or changed, by kind, e.g. {net: 'NET-198-51-100-0-1', customer: 'C00000001'}. */
  readonly handles: Readonly<Record<string, string>>;
  readonly errors: readonly Problem[];
  /** Human lines: what was done, what was kept (e.g. "the customer record C00000001 is kept"). */
  readonly notes: readonly string[];
  /** The submitted template, API key already redacted (redacted again here regardless). */
  readonly echo: string;
  /**
   * Staff corrected the template before it ran (edit-and-apply): `echo` is then staff's text, not
   * the sender's, and the block lists what staff changed (`Edited:` lines) and quotes it under a
   * heading that says so: the sender is never told it sent what it did not.
   */
  readonly edited?: { readonly changes: readonly EditedField[] };
}

/** One field staff changed, as the `Edited:` line tells it (docs/reply-format.md). */
export interface EditedField {
  /** The field's number on the corrected form (`11`); absent for the `Template:` line. */
  readonly field?: string;
  readonly label: string;
  /** The values as the sender wrote them and as staff corrected them; none for a blank field. */
  readonly before: readonly string[];
  readonly after: readonly string[];
}

/** Everything needed to answer one submission. */
export interface ReplyRequest {
  readonly submissionId: string;
  readonly originalMessageId?: string;
  readonly originalReferences?: readonly string[];
  readonly originalSubject?: string;
  /** Who we answer: Reply-To, else From (see `shouldReply`), or the verified address alone. */
  readonly to: string;
  /**
   * The sender did not prove who they are: nothing they wrote goes back out (no Subject, no
   * threading ids, no echo of templates), since whoever gets the reply may not be who wrote it.
   */
  readonly withoutOriginalText?: boolean;
  /** The message refused as a whole: no template, too many, unknown sender... */
  readonly refusal?: Problem;
  /**
   * A later answer after a staff action: the Message-ID (with brackets) of the last reply we
   * sent for this submission, which this one replaces (`Supersedes:` line and header).
   */
  readonly supersedes?: string;
  /**
   * A dry run (DRY-RUN in the Subject, `X-Hostmaster-Dry-Run: yes`, or mail to DRY_RUN_ADDRESS):
   * every rule was run and undone; the reply says so (`Dry-run: yes`, line and header).
   */
  readonly dryRun?: boolean;
  /**
   * Templates of the message that are someone else's (quoted with `>`, or inside a forwarded
   * message) and were not applied: one `Not-applied:` line each, after the header lines.
   */
  readonly notApplied?: readonly Problem[];
  /** Not templates but a service of the mailbox: the guide (HELP), or blank forms. */
  readonly service?: ServiceAnswer;
  readonly templates: readonly TemplateReport[];
}

/** A form name asked for that we do not have, and the names nearest to it. */
export interface UnknownFormName {
  readonly asked: string;
  readonly nearest: readonly string[];
}

/** What a service request is answered with (docs/reply-format.md, "Help and blank forms"). */
export type ServiceAnswer =
  | {
      readonly kind: 'help';
      /** The current version of every form we accept, e.g. `ARIN-POC-5.1`. */
      readonly forms: readonly string[];
      /** `${PUBLIC_URL}/templates/`, when a public URL is configured. */
      readonly formsUrl?: string;
      readonly maxTemplates: number;
      readonly dryRunAddresses: readonly string[];
    }
  | {
      readonly kind: 'forms';
      readonly attached: readonly BlankForm[];
      readonly unknown: readonly UnknownFormName[];
      /** Every form we accept, named when none of the names asked for was one. */
      readonly forms: readonly string[];
    };

/** The X-Hostmaster-Status of a service's answer: not a template's status. */
export const SERVICE_STATUSES = { help: 'HELP', forms: 'FORMS' } as const;
export type ServiceStatus = (typeof SERVICE_STATUSES)[keyof typeof SERVICE_STATUSES];

export type OutgoingKind = 'reply' | 'notification';

/** A complete message, ready for the outbox. */
export interface OutgoingMail {
  /** With angle brackets, e.g. `<S123.reply@hostmaster.example>`; unique in the outbox. */
  readonly messageId: string;
  readonly kind: OutgoingKind;
  /** Always '' (the null sender `MAIL FROM:<>`): automatic mail must never draw automatic answers. */
  readonly envelopeFrom: '';
  readonly recipients: readonly string[];
  /**
   * Recipients told that a change took something away from them (a POC's old addresses when it
   * is moved elsewhere, the holder of a net taken back): their per-recipient count is kept apart
   * for each requesting account, so other accounts' mail cannot use it up and mute the alarm
   * (finding rev-trust F5). A subset of `recipients`.
   */
  readonly alarmTo?: readonly string[];
  /** The RFC 5322 message, CRLF line ends, 7-bit clean. */
  readonly raw: string;
  /**
   * Why the mail is kept for staff instead of sent (a limit it met): stored as undelivered, where
   * staff may send it again; absent for mail to send.
   */
  readonly heldForStaff?: string;
}

/** REJECTED outranks PENDING_REVIEW outranks APPROVED: the digest's header carries the worst. */
export function worstStatus(statuses: readonly TemplateStatus[]): TemplateStatus {
  if (statuses.includes('REJECTED')) return 'REJECTED';
  if (statuses.includes('PENDING_REVIEW')) return 'PENDING_REVIEW';
  return 'APPROVED';
}
