/**
 * Mail authentication: did the domain in From really send this message? DKIM signatures and
 * SPF are checked with mailauth; alignment with From is decided here (mailauth 4 treats strict
 * DMARC alignment as relaxed, and its DKIM check does not insist that the signature covers
 * From or the whole body, both of which matter when the verdict authorizes registry changes).
 *
 * Never throws: garbage in gives a verdict of none/fail with a summary that says why.
 */
import { createHash } from 'node:crypto';
import { authenticate, type DKIMResult, dkimVerify, type SPFResult } from 'mailauth';
import { createSystemResolver, type DnsResolver } from './dns-resolver.ts';
import { domainOfAddress, domainsAlign } from './domain-alignment.ts';
import { addressedToUs, signedRecipients } from './signed-recipients.ts';

export const AUTH_RESULTS = [
  'pass',
  'fail',
  'neutral',
  'none',
  'softfail',
  'temperror',
  'permerror',
  'policy',
] as const;
export type AuthResult = (typeof AUTH_RESULTS)[number];

export interface SenderVerdict {
  /** The single From address as the verifier read it, lower-cased; absent when From has none or several. */
  readonly fromAddress?: string;
  readonly fromDomain?: string;
  readonly dkim: {
    /** `pass` when at least one signature passed, covers From and the whole body. */
    readonly result: AuthResult;
    /** Signing domains (`d=`) of those passing signatures. */
    readonly domains: readonly string[];
  };
  readonly spf: {
    readonly result: AuthResult;
    /** The domain SPF was checked for (the envelope sender's, or HELO's for a null sender). */
    readonly domain?: string;
  };
  /** A passing DKIM domain or an SPF-passing envelope domain aligns with From (see domain-alignment.ts). */
  readonly aligned: boolean;
  readonly alignedBy?: 'dkim' | 'spf';
  /**
   * Aligned by DKIM: the identities (`signatureIdentity`) of the passing signatures aligned with
   * From, the ones that vouch for the sender. Anyone holding a copy of the message can send it
   * again with other headers or another envelope and the signatures still pass, so a message
   * authorized by them uses them up (the worker remembers them; a second message carrying one
   * is a replay). Absent unless `alignedBy` is `dkim`.
   */
  readonly alignedSignatures?: readonly string[];
  /**
   * Not aligned, and a signature aligned with From would have vouched for the sender but the To
   * and Cc it signed name none of our addresses (`VerifySenderOptions.ourAddresses`): the message
   * was written to someone else and sent on to us (see signed-recipients.ts).
   */
  readonly signedForOthers?: boolean;
  /** Nothing aligned and a DNS lookup failed for now: sending again later may succeed. */
  readonly temporary: boolean;
  /** One line for logs, replies and staff, e.g. `dkim=pass (demo-isp.example); spf=none; aligned by dkim`. */
  readonly summary: string;
}

/** No DKIM or SPF check at all: what a requester is identified with when a key decides, no check is wanted, or none can be made (lint). */
export const SENDER_NOT_CHECKED: SenderVerdict = {
  dkim: { result: 'none', domains: [] },
  spf: { result: 'none' },
  aligned: false,
  temporary: false,
  summary: '',
};

export interface VerifySenderOptions {
  /** MAIL FROM as received (empty for a bounce). */
  readonly envelopeFrom?: string;
  /** The SMTP client's IP address; without it SPF cannot be evaluated (stdin submissions). */
  readonly remoteAddress?: string;
  readonly heloName?: string;
  /** Answers DNS questions; default: the system resolver with a short timeout. */
  readonly resolver?: DnsResolver;
  /** The whole check gives up after this long and reports temperror (default 15 s). */
  readonly deadlineMs?: number;
  /**
   * Our addresses: a DKIM signature vouches only when the To or Cc it signed names one of them.
   * Without them, recipients are not looked at (a verdict about the sender alone).
   */
  readonly ourAddresses?: readonly string[];
  /** The verifying host's name in mailauth's reports (default `hostmasterd`). */
  readonly mta?: string;
}

function normalizeResult(raw: string | undefined): AuthResult {
  if (raw === 'temperr') return 'temperror';
  if (raw === 'skipped' || raw === undefined) return 'none';
  return AUTH_RESULTS.find((r) => r === raw) ?? 'neutral';
}

interface SignatureReading {
  readonly domain: string;
  readonly result: AuthResult;
  readonly why?: string;
  /** `signatureIdentity` of a passing signature. */
  readonly identity?: string;
  /** Valid, but the To and Cc it signed name none of our addresses. */
  readonly signedForOthers?: boolean;
}

/**
 * A signature, the same however the message around it is changed: SHA-256 of the signing domain
 * and the signature's bytes (`b=` decoded, as the verifier decodes it to check them, so that
 * folding it otherwise or writing its last base64 digit another way makes no new signature).
 * Hex, 64 digits.
 */
export function signatureIdentity(signingDomain: string, b: string): string {
  const bytes = Buffer.from(b.replace(/\s+/g, ''), 'base64');
  return createHash('sha256').update(`${signingDomain.toLowerCase()}\0`).update(bytes).digest('hex');
}

/**
 * mailauth's `pass` only means the signature is valid. It also must cover the From header
 * (else anyone could put their From above a signed message) and the whole body (an `l=` limit
 * lets anyone append templates below the signed part).
 */
function readSignature(row: DKIMResult, ourAddresses: readonly string[] | undefined): SignatureReading {
  const domain = (row.signingDomain ?? '').toLowerCase();
  const result = normalizeResult(row.status?.result);
  if (result !== 'pass')
    return { domain, result, ...(row.status?.comment ? { why: row.status.comment } : {}) };
  const details = row as DKIMResult & {
    /** The `b=` value as written (mailauth 4 sets it; its typings leave it out). */
    signature?: string;
    signingHeaders?: { keys?: string; headers?: string[] };
    canonBodyLengthLimited?: boolean;
    canonBodyLength?: number;
    canonBodyLengthTotal?: number;
  };
  const signed = (details.signingHeaders?.keys ?? '').split(':').map((k) => k.trim().toLowerCase());
  if (!signed.includes('from')) return { domain, result: 'policy', why: 'signature does not cover From' };
  if (
    details.canonBodyLengthLimited &&
    (details.canonBodyLength ?? 0) < (details.canonBodyLengthTotal ?? 0)
  ) {
    return { domain, result: 'policy', why: 'signature covers only part of the body (l=)' };
  }
  if (ourAddresses && !addressedToUs(signedRecipients(details.signingHeaders?.headers ?? []), ourAddresses)) {
    return {
      domain,
      result: 'policy',
      why: 'signed To/Cc name none of our addresses',
      signedForOthers: true,
    };
  }
  // A signature that passed has a `b=`: without it there is nothing to verify.
  if (!details.signature) return { domain, result: 'permerror', why: 'signature has no b= value' };
  return { domain, result: 'pass', identity: signatureIdentity(domain, details.signature) };
}

/** The overall DKIM result when nothing acceptable passed: the most telling of the failures. */
function overallDkim(readings: readonly SignatureReading[]): AuthResult {
  if (readings.some((r) => r.result === 'pass')) return 'pass';
  const order: AuthResult[] = ['temperror', 'fail', 'policy', 'permerror', 'neutral'];
  return order.find((wanted) => readings.some((r) => r.result === wanted)) ?? 'none';
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values.filter(Boolean))];
}

interface Checked {
  readonly headerFrom: readonly string[];
  readonly signatures: readonly DKIMResult[];
  readonly spf: SPFResult | undefined;
}

async function check(raw: Buffer, options: VerifySenderOptions, resolver: DnsResolver): Promise<Checked> {
  const sender = options.envelopeFrom ?? '';
  if (!options.remoteAddress) {
    // No client address (a message piped to `submit`): SPF has nothing to check, DKIM still can.
    const dkim = await dkimVerify(raw, { resolver, sender });
    return { headerFrom: dkim.headerFrom ?? [], signatures: dkim.results ?? [], spf: undefined };
  }
  const result = await authenticate(raw, {
    resolver,
    sender,
    ip: options.remoteAddress,
    ...(options.heloName ? { helo: options.heloName } : {}),
    mta: options.mta ?? 'hostmasterd',
    trustReceived: false,
    disableArc: true,
    disableDmarc: true,
    disableBimi: true,
  });
  return {
    headerFrom: result.dkim?.headerFrom ?? [],
    signatures: result.dkim?.results ?? [],
    spf: result.spf || undefined,
  };
}

function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`mail authentication took longer than ${ms} ms`)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

export async function verifySender(raw: Buffer, options: VerifySenderOptions = {}): Promise<SenderVerdict> {
  const resolver = options.resolver ?? createSystemResolver();
  let checked: Checked;
  try {
    checked = await withDeadline(check(raw, options, resolver), options.deadlineMs ?? 15_000);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return {
      dkim: { result: 'temperror', domains: [] },
      spf: { result: 'temperror' },
      aligned: false,
      temporary: true,
      summary: `mail authentication could not run (${why}); not aligned`,
    };
  }
  return judge(checked, options.ourAddresses);
}

function judge({ headerFrom, signatures, spf }: Checked, ourAddresses?: readonly string[]): SenderVerdict {
  // Several From addresses (or several From headers) are ambiguous: whoever reads the first may
  // not be whom the signature vouched for. Such mail is never trusted by its sender address.
  const fromAddresses = unique(headerFrom.map((a) => a.trim().toLowerCase()));
  const fromAddress = fromAddresses.length === 1 ? fromAddresses[0] : undefined;
  const fromDomain = domainOfAddress(fromAddress);

  const readings = signatures
    .filter((row) => row.signingDomain)
    .map((row) => readSignature(row, ourAddresses));
  const passing = unique(readings.filter((r) => r.result === 'pass').map((r) => r.domain));
  const dkimResult = overallDkim(readings);

  const spfResult: AuthResult = spf ? normalizeResult(spf.status?.result) : 'none';
  const spfDomain = spf?.domain && spf.domain !== '-' ? spf.domain.toLowerCase() : undefined;

  const dkimAligned = passing.some((d) => domainsAlign(d, fromDomain));
  const alignedSignatures = unique(
    readings.flatMap((r) =>
      r.result === 'pass' && r.identity && domainsAlign(r.domain, fromDomain) ? [r.identity] : [],
    ),
  );
  const spfAligned = spfResult === 'pass' && domainsAlign(spfDomain, fromDomain);
  const aligned = Boolean(fromDomain) && (dkimAligned || spfAligned);
  const alignedBy = dkimAligned ? 'dkim' : spfAligned ? 'spf' : undefined;
  const temporary = !aligned && (dkimResult === 'temperror' || spfResult === 'temperror');
  const signedForOthers =
    !aligned && readings.some((r) => r.signedForOthers && domainsAlign(r.domain, fromDomain));

  const dkimPart =
    readings.length === 0
      ? 'dkim=none (not signed)'
      : readings.map((r) => `dkim=${r.result} (${r.domain}${r.why ? `: ${r.why}` : ''})`).join(', ');
  const spfPart = spf
    ? `spf=${spfResult}${spfDomain ? ` (${spfDomain})` : ''}`
    : 'spf=none (no client address)';
  const fromPart =
    fromAddresses.length > 1
      ? `From has ${fromAddresses.length} addresses`
      : fromDomain
        ? `from=${fromDomain}`
        : 'no From address';
  const verdictPart = aligned
    ? `aligned by ${alignedBy}`
    : temporary
      ? 'not aligned (DNS failed for now)'
      : 'not aligned';

  return {
    ...(fromAddress ? { fromAddress } : {}),
    ...(fromDomain ? { fromDomain } : {}),
    dkim: { result: dkimResult, domains: passing },
    spf: { result: spfResult, ...(spfDomain ? { domain: spfDomain } : {}) },
    aligned,
    ...(alignedBy ? { alignedBy } : {}),
    ...(aligned && alignedBy === 'dkim' ? { alignedSignatures } : {}),
    ...(signedForOthers ? { signedForOthers } : {}),
    temporary,
    summary: `${fromPart}; ${dkimPart}; ${spfPart}; ${verdictPart}`,
  };
}
