/**
 * Who is asking: an API key (from the template's `00. API Key:` line or the Subject), or else
 * the From address of an account, trusted only as far as `SENDER_AUTH` allows.
 *
 * Sentences never contain a key: only `API-****-****-****-1A2B` forms.
 */
import { timingSafeEqual } from 'node:crypto';
import { type SQL, sql } from 'drizzle-orm';
import type { SenderAuthMode } from '../config/index.ts';
import { type Executor, queryRows, tables } from '../db/index.ts';
import {
  type Actor,
  apiKeyDigest,
  isApiKey,
  type MessageNumbers,
  type NumbersWanted,
  numbersWhere,
} from '../registry/index.ts';
import { fail, ok, type Problem, problem, type Result } from '../shared/index.ts';
import { apiKeyHint } from './api-key-hint.ts';
import type { SenderVerdict } from './sender-verdict.ts';

export interface Requester {
  readonly accountId: number;
  readonly via: 'api-key' | 'sender';
  /** How to name the requester to humans: the redacted key (`API-****-****-****-1A2B`) or the address. */
  readonly display: string;
  /**
   * Trusted by its sender because of these DKIM signatures (SenderVerdict.alignedSignatures):
   * the message uses them up, and another message carrying one of them is a replay.
   */
  readonly dkimSignatures?: readonly string[];
  /**
   * The message's From is one of the account's addresses (always, for a sender-trusted
   * requester). A key holder writing from its own address is answered as authenticated; under
   * any other From it is not, since From and Reply-To may name anyone (docs/reply-format.md).
   */
  readonly fromIsAccountAddress: boolean;
  /** The stored key that identified the requester (`api_keys.id`); absent for a sender-trusted one. */
  readonly apiKeyId?: number;
  /**
   * Every POC linked to the account is invalid (src/validation): its templates are refused
   * E_POC_UNVALIDATED but for a POC template M of those POCs.
   */
  readonly pocsUnvalidated?: boolean;
}

export interface IdentifyInput {
  /** Distinct keys found in the templates and the Subject, as written. */
  readonly apiKeys: readonly string[];
  /** The From address (bare, e.g. `noc@demo-isp.example`). */
  readonly fromAddress?: string;
  readonly senderVerdict: SenderVerdict;
  readonly mode: SenderAuthMode;
}

const USE_API_KEY =
  'Put your API key on the template\'s "00. API Key:" line (or in the Subject) and send it again.';

/** The registry's actor for a requester's changes (audit rows read `account:12`). */
export function actorOf(requester: Requester): Actor {
  return { kind: 'account', accountId: requester.accountId };
}

/** A stored key, whether it was revoked, its account, and whether the account lists From. */
type KeyedAccount = {
  digest: string;
  key_id: number;
  revoked: boolean;
  account_id: number;
  from_listed: boolean;
  pocs_unvalidated: boolean;
};

/**
 * Whether every POC linked to the account is invalid (its annual validation unanswered; see
 * src/validation): read by the statement that finds the account, so holding its templates costs
 * no statement of its own.
 */
function pocsUnvalidated(accountId: SQL): SQL {
  const { accountPocs, pocs } = tables;
  return sql`(EXISTS (SELECT 1 FROM ${accountPocs} WHERE ${accountPocs.accountId} = ${accountId})
    AND NOT EXISTS (SELECT 1 FROM ${accountPocs} JOIN ${pocs} ON ${pocs.handle} = ${accountPocs.pocHandle}
                    WHERE ${accountPocs.accountId} = ${accountId} AND ${pocs.validationState} <> 'invalid'))`;
}

/**
 * The key's stored row with its account, in one statement (the registry's `findAccountByApiKey`
 * takes four: key, account, e-mail addresses, POCs). Not the account's POCs: authority checks
 * probe them per object (src/auth/authority.ts), and a billing system's account holds thousands.
 * Looked up by digest, then the digests compared in constant time, as there.
 */
async function accountOfKey(
  ex: Executor,
  key: string,
  fromAddress: string | undefined,
  wanted: NumbersWanted | undefined,
): Promise<{ readonly found?: KeyedAccount; readonly numbers?: MessageNumbers }> {
  if (!isApiKey(key)) return {};
  const digest = apiKeyDigest(key);
  const { apiKeys, accounts, accountEmails } = tables;
  const from = fromAddress?.trim().toLowerCase() ?? '';
  const lookup = sql`SELECT ${apiKeys.digest}, ${apiKeys.id} AS key_id, ${apiKeys.revokedAt} IS NOT NULL AS revoked, ${accounts.id} AS account_id,
          EXISTS (SELECT 1 FROM ${accountEmails}
                  WHERE ${accountEmails.accountId} = ${accounts.id} AND ${accountEmails.email} = ${from}) AS from_listed,
          ${pocsUnvalidated(sql`${accounts.id}`)} AS pocs_unvalidated
        FROM ${apiKeys} JOIN ${accounts} ON ${accounts.id} = ${apiKeys.accountId}
        WHERE ${apiKeys.digest} = ${digest}`;
  // The message's numbers ride in the lookup, taken only for a key that is valid: one round trip.
  const numbers =
    wanted && wanted.ticketCount > 0
      ? numbersWhere(wanted, sql`EXISTS (SELECT 1 FROM requester WHERE NOT requester.revoked)`)
      : undefined;
  const [row] = await queryRows<KeyedAccount & Record<string, unknown>>(
    ex,
    numbers
      ? sql`WITH requester AS (${lookup}), ${numbers.ctes}
          SELECT requester.*, ${numbers.columns} FROM requester`
      : lookup,
  );
  const wantedDigest = Buffer.from(digest, 'hex');
  const stored = Buffer.from(row?.digest ?? '0'.repeat(64), 'hex');
  if (!row || stored.length !== wantedDigest.length || !timingSafeEqual(stored, wantedDigest)) return {};
  const taken = numbers?.read(row);
  return { found: row, ...(taken ? { numbers: taken } : {}) };
}

/** Who asks, and the message's numbers when they were asked for and taken with the lookup. */
export interface Identified {
  readonly identity: Result<Requester, Problem>;
  /** Taken only for a requester identified (by a valid key or a trusted address); else none. */
  readonly numbers?: MessageNumbers;
}

async function byApiKey(
  ex: Executor,
  key: string,
  fromAddress: string | undefined,
  wanted: NumbersWanted | undefined,
): Promise<Identified> {
  // Malformed, unknown and revoked keys are one answer: the sender is not told which.
  const { found, numbers } = await accountOfKey(ex, key, fromAddress, wanted);
  if (!found || found.revoked) {
    return {
      identity: fail(
        problem(
          'E_INVALID_API_KEY',
          `The API key ${apiKeyHint(key)} is not valid. Check the key in your account, or ask the registry for a new one.`,
        ),
      ),
    };
  }
  return {
    identity: ok({
      accountId: found.account_id,
      via: 'api-key',
      display: apiKeyHint(key),
      fromIsAccountAddress: found.from_listed === true,
      apiKeyId: found.key_id,
      ...(found.pocs_unvalidated === true ? { pocsUnvalidated: true } : {}),
    }),
    ...(numbers ? { numbers } : {}),
  };
}

function senderTrusted(address: string, verdict: SenderVerdict, mode: SenderAuthMode): Result<void, Problem> {
  if (mode === 'any') return ok(undefined);
  // The verdict must be about this very address: the mail parser and the verifier both read From,
  // and a message with two From headers could otherwise show each of them a different one.
  if (verdict.aligned && verdict.fromAddress === address) return ok(undefined);
  const domain = address.slice(address.lastIndexOf('@') + 1);
  if (verdict.signedForOthers) {
    return fail(
      problem(
        'E_NOT_ADDRESSED_TO_US',
        `Mail from ${address} carries a valid DKIM signature of ${domain}, but the To and Cc it signed name none of our hostmaster addresses: the message was written to someone else and sent on to us, and a signed message authorizes changes only when it was addressed to us (${verdict.summary}). Send it to us directly (our address in To or Cc), or: ${USE_API_KEY}`,
      ),
    );
  }
  const why = verdict.temporary
    ? `its DKIM signature or SPF record could not be checked right now (${verdict.summary})`
    : `it carries no passing DKIM signature of ${domain}, and SPF did not pass for an envelope sender aligned with ${domain} (${verdict.summary})`;
  return fail(
    problem(
      'E_SENDER_NOT_VERIFIED',
      `Mail from ${address} cannot be trusted by its sender address alone: ${why}. ${USE_API_KEY}`,
    ),
  );
}

/** The earlier message that already used a DKIM signature: its submission ('' when no longer kept) and tickets. */
export interface EarlierUse {
  readonly submissionId: string;
  readonly tickets: readonly string[];
  /** The earlier message was a dry run: its signature is used all the same. */
  readonly dryRun?: boolean;
}

/**
 * A message trusted by a DKIM signature that an earlier message already used: a copy of that
 * message sent again (by its sender's mail system, or by anyone who got hold of it). Its
 * templates are not applied a second time.
 */
export function replayedSignature(earlier: EarlierUse): Problem {
  const which = earlier.submissionId
    ? `an earlier message (submission ${earlier.submissionId})`
    : 'an earlier message';
  const tickets =
    earlier.tickets.length === 0
      ? ''
      : ` Its templates were handled under ticket${earlier.tickets.length > 1 ? 's' : ''} ${earlier.tickets.join(', ')}.`;
  return problem(
    'E_REPLAYED_SIGNATURE',
    `The DKIM signature of this message was already used by ${which}, so this message is a copy of it and nothing in it was processed; nothing in the registry changed.${tickets}${earlier.dryRun ? ' That earlier message was a dry run: a dry run uses the signature as a real run does, since the same bytes do not say which run was meant, so a real run after a signed dry run must be a new message.' : ''} To make changes, send a new message (it gets a fresh signature), or put your API key on the template's "00. API Key:" line (or in the Subject).`,
  );
}

type AddressAccount = { id: number; pocs_unvalidated: boolean };

/**
 * The accounts listing this (lower-cased) address (the registry's `findAccountsByEmail` also
 * reads their details), and the message's numbers when `wanted` and the address speaks for it:
 * trusted (`trusted`, decided before from the verdict) and listed by exactly one account.
 */
async function accountsOfAddress(
  ex: Executor,
  address: string,
  wanted: NumbersWanted | undefined,
  trusted: boolean,
): Promise<{ readonly accounts: AddressAccount[]; readonly numbers?: MessageNumbers }> {
  const { accountEmails } = tables;
  const lookup = sql`SELECT ${accountEmails.accountId} AS id, ${pocsUnvalidated(sql`${accountEmails.accountId}`)} AS pocs_unvalidated
        FROM ${accountEmails} WHERE ${accountEmails.email} = ${address}`;
  const numbers =
    wanted && trusted && wanted.ticketCount > 0
      ? numbersWhere(wanted, sql`(SELECT count(*) FROM requester) = 1`)
      : undefined;
  if (!numbers) {
    return {
      accounts: await queryRows<AddressAccount>(ex, sql`${lookup} ORDER BY ${accountEmails.accountId}`),
    };
  }
  const rows = await queryRows<AddressAccount & Record<string, unknown>>(
    ex,
    sql`WITH requester AS (${lookup}), ${numbers.ctes}
        SELECT requester.*, ${numbers.columns} FROM requester ORDER BY requester.id`,
  );
  const taken = rows.length === 1 ? numbers.read(rows[0]!) : undefined;
  return {
    accounts: rows.map((r) => ({ id: r.id, pocs_unvalidated: r.pocs_unvalidated })),
    ...(taken ? { numbers: taken } : {}),
  };
}

/**
 * A refusal with a sentence for staff alone (`forStaff`): what the sender must not learn, such as
 * whether an address has an account here. The worker answers with `forSender` of it and shows
 * the rest to staff.
 */
export interface StaffNotedProblem extends Problem {
  readonly forStaff: string;
}

/** What the sender is told of a refusal: its code, sentence and place, nothing meant for staff. */
export function forSender(refusal: Problem): Problem {
  const { code, message, field, line } = refusal;
  return {
    code,
    message,
    ...(field !== undefined ? { field } : {}),
    ...(line !== undefined ? { line } : {}),
  };
}

/** The staff-only sentence of a refusal, if it has one. */
export function staffNoteOf(refusal: Problem): string | undefined {
  return 'forStaff' in refusal && typeof refusal.forStaff === 'string' ? refusal.forStaff : undefined;
}

function addressStanding(address: string, accounts: readonly AddressAccount[]): string {
  if (accounts.length === 0) return `${address} belongs to no registry account`;
  return `${address} belongs to registry account${accounts.length > 1 ? 's' : ''} ${accounts.map((a) => a.id).join(', ')}`;
}

async function bySender(
  ex: Executor,
  fromAddress: string | undefined,
  verdict: SenderVerdict,
  mode: SenderAuthMode,
  wanted: NumbersWanted | undefined,
): Promise<Identified> {
  const { identity, numbers } = await senderIdentity(ex, fromAddress, verdict, mode, wanted);
  // Numbers are taken only for an address that speaks for one account; the identity says so too.
  return identity.ok && numbers ? { identity, numbers } : { identity };
}

async function senderIdentity(
  ex: Executor,
  fromAddress: string | undefined,
  verdict: SenderVerdict,
  mode: SenderAuthMode,
  wanted: NumbersWanted | undefined,
): Promise<{ readonly identity: Result<Requester, Problem>; readonly numbers?: MessageNumbers }> {
  if (mode === 'off') {
    return {
      identity: fail(
        problem('E_API_KEY_REQUIRED', `This registry accepts changes only with an API key. ${USE_API_KEY}`),
      ),
    };
  }
  const address = fromAddress?.trim().toLowerCase();
  if (!address) {
    return {
      identity: fail(
        problem('E_UNKNOWN_SENDER', `The message has no From address and no API key. ${USE_API_KEY}`),
      ),
    };
  }
  const trusted = senderTrusted(address, verdict, mode);
  const { accounts, numbers } = await accountsOfAddress(ex, address, wanted, trusted.ok);
  // Whether the sender really sent it comes first, and its answer is the same whether the address
  // has an account, none or several: anyone may put any From on a message, and a different
  // answer would tell them which addresses are ours to try. Only a sender who proved the address
  // is theirs hears about its accounts (in `any` mode the address alone is proof enough).
  if (!trusted.ok) {
    const refusal: StaffNotedProblem = {
      ...trusted.error,
      forStaff: addressStanding(address, accounts),
    };
    return { identity: fail(refusal) };
  }
  if (accounts.length === 0) {
    return {
      identity: fail(
        problem(
          'E_UNKNOWN_SENDER',
          `${address} does not belong to any registry account, and the message has no API key. ${USE_API_KEY}`,
        ),
      ),
    };
  }
  if (accounts.length > 1) {
    // One address on two accounts: which one speaks is for the sender to say, with that account's key.
    return {
      identity: fail(
        problem(
          'E_AMBIGUOUS_SENDER',
          `${address} belongs to ${accounts.length} registry accounts, so it cannot tell which one is asking. ${USE_API_KEY}`,
        ),
      ),
    };
  }
  const account = accounts[0]!;
  const signatures = mode === 'dkim' ? (verdict.alignedSignatures ?? []) : [];
  return {
    identity: ok({
      accountId: account.id,
      via: 'sender',
      display: address,
      fromIsAccountAddress: true,
      ...(signatures.length > 0 ? { dkimSignatures: signatures } : {}),
      ...(account.pocs_unvalidated === true ? { pocsUnvalidated: true } : {}),
    }),
    ...(numbers ? { numbers } : {}),
  };
}

export async function identifyRequester(
  ex: Executor,
  input: IdentifyInput,
): Promise<Result<Requester, Problem>> {
  return (await identifyTakingNumbers(ex, input)).identity;
}

/**
 * As identifyRequester, and where it identifies the requester (a valid key, or a trusted From
 * address of exactly one account), the message's numbers (`wanted`) taken by the statement
 * that looks it up: a message's tickets were a round trip of their own. Without them in the
 * answer (a refusal), nothing was bumped, and a caller that still needs numbers takes its own.
 */
export async function identifyTakingNumbers(
  ex: Executor,
  input: IdentifyInput,
  wanted?: NumbersWanted,
): Promise<Identified> {
  const keys = [...new Set(input.apiKeys.map((k) => k.trim().toUpperCase()).filter(Boolean))];
  if (keys.length > 1) {
    return {
      identity: fail(
        problem(
          'E_MULTIPLE_API_KEYS',
          `The message carries ${keys.length} different API keys (${keys.map(apiKeyHint).join(', ')}); one message may use only one. Send the templates of each account in their own message.`,
        ),
      ),
    };
  }
  const key = keys[0];
  if (key) return byApiKey(ex, key, input.fromAddress, wanted);
  return bySender(ex, input.fromAddress, input.senderVerdict, input.mode, wanted);
}
