/**
 * What makes two deliveries one message: its bytes without the trace fields that mail systems
 * put on top of it on the way (Received and Return-Path, RFC 5321 section 4.4; Delivered-To,
 * X-Original-To, Authentication-Results, ARC and the like from receiving systems). A message that
 * reached us by two paths (two MX hosts, a backup MX relaying it later, a sender's MTA retrying
 * through another relay) differs only in those, and must be handled once.
 *
 * Only the leading run of such fields is left out: they are prepended, so anything below the
 * first other field was written by the sender and stays part of what is compared. Everything
 * else, a signature included, must be the same byte for byte.
 *
 * The bytes are not all that decides what a delivery asks for, so they are not all that makes two
 * deliveries one (`decideDelivery`, README "Reliability"):
 * - an envelope addressed to a dry-run address (DRY_RUN_ADDRESS) makes the same bytes a dry run:
 *   it is in the digest, and a dry run and a real run are never the same delivery;
 * - the SMTP client and envelope sender decide the SPF verdict: a stored delivery refused because
 *   its sender was not verified (nothing applied, nobody answered) does not stand for a later one
 *   from another client, which is stored and processed on its own (a redelivery key); while the
 *   stored one is still undecided, a delivery from another client is asked to come again later.
 */
import { createHash } from 'node:crypto';

const TRACE_FIELDS = new Set([
  'received',
  'return-path',
  'delivered-to',
  'x-original-to',
  'envelope-to',
  'x-envelope-to',
  'x-received',
  'received-spf',
  'authentication-results',
  'arc-seal',
  'arc-message-signature',
  'arc-authentication-results',
]);

const LF = 0x0a;
const SPACE = 0x20;
const TAB = 0x09;
const COLON = 0x3a;

/** Where the line starting at `from` ends (after its LF), or the end of the message. */
function lineEnd(raw: Buffer, from: number): number {
  const lf = raw.indexOf(LF, from);
  return lf < 0 ? raw.length : lf + 1;
}

function isBlankLine(raw: Buffer, start: number, end: number): boolean {
  const length = end - start;
  return (
    (length === 1 && raw[start] === LF) || (length === 2 && raw[start] === 0x0d && raw[start + 1] === LF)
  );
}

/** The offset of the first header field that is not a trace field (the whole message if none is). */
export function startAfterTrace(raw: Buffer): number {
  let at = 0;
  while (at < raw.length) {
    const end = lineEnd(raw, at);
    if (isBlankLine(raw, at, end)) return at;
    const colon = raw.indexOf(COLON, at);
    if (colon < 0 || colon >= end) return at;
    const name = raw.toString('latin1', at, colon).trim().toLowerCase();
    if (!TRACE_FIELDS.has(name)) return at;
    // Skip the field with its folded continuation lines.
    at = end;
    while (at < raw.length && (raw[at] === SPACE || raw[at] === TAB)) at = lineEnd(raw, at);
  }
  return at;
}

/** Put before the bytes of a delivery whose envelope asked for a dry run: another digest. */
const DRY_RUN_BY_ENVELOPE = 'hostmasterd dry run by envelope\n';

/**
 * SHA-256 (hex) of the message without its leading trace fields: the same for every delivery of
 * it, and another for a delivery whose envelope named a dry-run address (`sentToDryRun`).
 */
export function deliveryDigest(raw: Buffer, options: { readonly sentToDryRun?: boolean } = {}): string {
  const hash = createHash('sha256');
  if (options.sentToDryRun) hash.update(DRY_RUN_BY_ENVELOPE);
  return hash.update(raw.subarray(startAfterTrace(raw))).digest('hex');
}

/**
 * The key of the `n`th delivery stored beside the first (n = 1, 2...) because the ones before it
 * were refused unverified: numbered, not keyed by client, so two such deliveries arriving at once
 * race for the same key and the second finds the first (never two new submissions at once).
 */
export function redeliveryDigest(first: string, n: number): string {
  return createHash('sha256').update(`${first}\nredelivery ${n}`).digest('hex');
}

/** What the SPF verdict of a delivery reads besides its bytes: the SMTP client and envelope sender. */
export interface DeliveryClient {
  readonly remoteAddress: string | null;
  readonly heloName: string | null;
  readonly envelopeFrom: string;
}

/** A stored submission with the Message-ID of a new delivery, as far as the rule looks at it. */
export interface StoredDelivery extends DeliveryClient {
  readonly id: string;
  readonly state: string;
  readonly deliverySha256: string;
  readonly refusalCode: string | null;
  readonly answerTrust: string | null;
}

export type DeliveryDecision<Stored extends StoredDelivery = StoredDelivery> =
  /** The delivery is this stored one: fold it in (no second submission, job or answer). */
  | { readonly kind: 'same'; readonly stored: Stored }
  /** Store it as a new submission under this key. */
  | { readonly kind: 'another'; readonly deliverySha256: string }
  /** A delivery of it from another client is still undecided: the sender should try again later. */
  | { readonly kind: 'undecided' };

const UNDECIDED_STATES = new Set(['received', 'processing']);

/**
 * Refused as a whole because the sender could not be verified, and nobody was answered: nothing
 * happened that a delivery from another client (whose verdict may differ) would repeat.
 */
function refusedUnverified(stored: StoredDelivery): boolean {
  return (
    stored.state === 'done' && stored.refusalCode === 'E_SENDER_NOT_VERIFIED' && stored.answerTrust === 'none'
  );
}

/** Of `stored` (submissions with one Message-ID), the deliveries of the message whose first key is `first`. */
export function deliveriesOf<Stored extends StoredDelivery>(
  first: string,
  stored: readonly Stored[],
): Stored[] {
  const keys = new Set([first]);
  for (let n = 1; n <= stored.length; n++) keys.add(redeliveryDigest(first, n));
  return stored.filter((s) => keys.has(s.deliverySha256));
}

/** A delivery decided otherwise than "refused unverified": it is the message, for every later delivery. */
export function standsForTheMessage(stored: StoredDelivery): boolean {
  return !UNDECIDED_STATES.has(stored.state) && !refusedUnverified(stored);
}

/** Not decided yet: received, or being processed. */
export function undecidedDelivery(stored: StoredDelivery): boolean {
  return UNDECIDED_STATES.has(stored.state);
}

function sameClient(a: DeliveryClient, b: DeliveryClient): boolean {
  return (
    (a.remoteAddress ?? '') === (b.remoteAddress ?? '') &&
    (a.heloName ?? '').toLowerCase() === (b.heloName ?? '').toLowerCase() &&
    a.envelopeFrom.toLowerCase() === b.envelopeFrom.toLowerCase()
  );
}

/**
 * Whether a delivery whose insert met `first` (its digest) is one already stored. `stored` are the
 * submissions with its Message-ID (any digest: those of this message are picked out here).
 * - one of them was decided otherwise than "refused unverified" (applied, refused and answered,
 *   given up): the delivery is that one, whoever sends it again (an MTA retry, a backup MX);
 * - one is undecided: the delivery is that one if it came from the same client (a retry after a
 *   lost 250); from another client it must wait for that verdict (try again later), since folded
 *   in it would be lost if that one ends unverified, and stored beside it would apply twice if
 *   both are verified;
 * - all were refused unverified: from a client one of them came from, it is that one (refused
 *   again for the same reasons); from another, a new submission under the next redelivery key.
 */
export function decideDelivery<Stored extends StoredDelivery>(
  first: string,
  stored: readonly Stored[],
  client: DeliveryClient,
): DeliveryDecision<Stored> {
  const ours = deliveriesOf(first, stored);
  const decided = ours.find(standsForTheMessage);
  if (decided) return { kind: 'same', stored: decided };
  const fromThisClient = ours.find((s) => sameClient(s, client));
  if (fromThisClient) return { kind: 'same', stored: fromThisClient };
  if (ours.some(undecidedDelivery)) return { kind: 'undecided' };
  return {
    kind: 'another',
    deliverySha256: ours.length === 0 ? first : redeliveryDigest(first, ours.length),
  };
}
