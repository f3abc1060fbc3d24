/**
 * The rules of the annual POC validation, as values: who is due, when an answer is late, what a
 * POC's state shows, and whom a POC template may still serve. No SQL, Redis or SMTP here.
 */
import type { PocValidationState } from '../db/index.ts';
import { type Problem, problem } from '../shared/index.ts';

/** A POC is asked again a year after its last validation (or its creation). */
export const VALIDITY_DAYS = 365;
/** How long a POC has to answer a validation mail; unanswered then, it is invalid. */
export const ANSWER_DAYS = 60;

const DAY_MS = 24 * 60 * 60 * 1000;

export function addDays(date: Date, days: number): Date {
  return new Date(date.getTime() + days * DAY_MS);
}

/** A round is the UTC day it runs: running it again that day resumes it. */
export function roundOf(asOf: Date): string {
  return asOf.toISOString().slice(0, 10);
}

/** When the answer to a mail sent at `sentAt` is due (the token expires with it). */
export function deadlineFor(sentAt: Date): Date {
  return addDays(sentAt, ANSWER_DAYS);
}

export interface DueFacts {
  readonly validatedAt: Date | null;
  readonly createdAt: Date;
  /** When the last validation mail went to this POC, if one ever did. */
  readonly lastAskedAt: Date | null;
  /** Addresses to write to (`reachableAddresses`). */
  readonly reachable: number;
}

/**
 * Due: a year since its last validation (or creation), not asked within that year (an invalid
 * POC, whose mail went unanswered, is asked again a year after it was), and someone to write to.
 * The rule on values; the round and the console ask due.ts's SQL, held to this one by
 * test/validation/due.test.ts.
 */
export function isDue(facts: DueFacts, asOf: Date): boolean {
  if (facts.reachable === 0) return false;
  const since = facts.validatedAt ?? facts.createdAt;
  if (addDays(since, VALIDITY_DAYS) > asOf) return false;
  return facts.lastAskedAt === null || addDays(facts.lastAskedAt, VALIDITY_DAYS) <= asOf;
}

/**
 * The addresses a validation mail goes to: each of the POC's, once (in any case). Addresses a
 * bounce or an unanswered mail flagged are written to again: a year on, the mail asks whether
 * they work now.
 */
export function reachableAddresses(emails: readonly string[]): string[] {
  const seen = new Set<string>();
  return emails.filter((e) => {
    const key = e.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * What WHOIS and RDAP show for a POC (the public role's displays use this): `Unvalidated` beside
 * the handle once the POC is invalid; nothing while it is valid or its answer is still awaited.
 */
export interface PocDisplayState {
  readonly unvalidated: boolean;
  /** `Unvalidated`, written beside the handle on org, net and POC blocks; absent when validated. */
  readonly label?: 'Unvalidated';
  /** For RDAP's remarks: a title and one sentence. */
  readonly remark?: { readonly title: string; readonly description: string };
}

export function pocDisplayState(state: PocValidationState): PocDisplayState {
  if (state !== 'invalid') return { unvalidated: false };
  return {
    unvalidated: true,
    label: 'Unvalidated',
    remark: {
      title: 'Unvalidated POC',
      description:
        'This POC did not answer its annual validation (NRPM 3.6) within 60 days, or its mail could not be delivered; its contact information may be out of date.',
    },
  };
}

export interface LinkedPoc {
  readonly handle: string;
  readonly state: PocValidationState;
}

/** What a template asks, as far as the validation gate cares. */
export interface GatedRequest {
  readonly kind: string;
  readonly handle?: string;
}

/**
 * An account whose every linked POC is invalid may only validate or modify those POCs: any other
 * template is refused with E_POC_UNVALIDATED, saying how to validate. A POC template (M) that
 * modifies one of them passes (and, applied, validates it). An account linked to no POC, or to
 * one POC still valid or pending, is not held.
 */
export function unvalidatedRefusal(linked: readonly LinkedPoc[], request: GatedRequest): Problem | undefined {
  if (linked.length === 0 || linked.some((p) => p.state !== 'invalid')) return undefined;
  if (request.kind === 'poc.modify' && linked.some((p) => p.handle === request.handle?.toUpperCase())) {
    return undefined;
  }
  const handles = linked.map((p) => p.handle).join(', ');
  const which =
    linked.length === 1
      ? `the POC linked to your account, ${handles}, is`
      : `every POC linked to your account (${handles}) is`;
  return problem(
    'E_POC_UNVALIDATED',
    `${which} marked invalid: its annual validation went unanswered for ${ANSWER_DAYS} days, so nothing else is processed for your account until one is validated. Validate it by sending a POC template (ARIN-POC, action M) for it with its correct details, which is applied and validates it, or ask hostmaster staff to mark it validated`,
  );
}
