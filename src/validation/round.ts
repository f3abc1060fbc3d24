/**
 * One validation round (`hostmasterd validation run [--as-of DATE]`, or the worker's daily job):
 * first the POCs whose answer is overdue become invalid, then every due POC gets one mail.
 * Each POC is one transaction: its `poc_validations` row (unique per round and POC) and its
 * outbox row commit together, so a round killed halfway and run again the same day mails only
 * those it had not reached. Mails are paced through the outbox (VALIDATION_MAILS_PER_HOUR).
 */
import { and, asc, eq, gt, inArray, lte, notExists, sql } from 'drizzle-orm';
import type { Config } from '../config/index.ts';
import { type Database, type Transaction, tables } from '../db/index.ts';
import { firstAddress } from '../replies/index.ts';
import type { Logger } from '../shared/index.ts';
import { RoundAddressCap } from './address-cap.ts';
import { dueCondition, yearSinceValidation } from './due.ts';
import { composeValidationMail, type PocRecord, type Served, validationMessageId } from './mail.ts';
import type { ValidationCounters } from './metrics.ts';
import { deadlineFor, reachableAddresses, roundOf } from './rules.ts';
import { messageIdNonce, newValidationToken, tokenDigest } from './token.ts';

export interface RoundDeps {
  readonly db: Database;
  readonly config: Config;
  readonly logger: Logger;
  readonly metrics?: ValidationCounters;
}

export interface RoundReport {
  readonly round: string;
  /**
   * POCs this run made invalid: their request's answer period ended unanswered. A POC already
   * invalid (a bounce flagged its only address) is not made so again and is not listed.
   */
  readonly madeInvalid: readonly string[];
  /** POCs mailed by this run. */
  readonly mailed: readonly string[];
  /** Due POCs this round had already mailed (a run resumed or repeated). */
  readonly alreadyMailed: number;
  /**
   * Due POCs not mailed this round because an address of theirs nobody proved already got its
   * round's share (address-cap.ts): a later day's round asks them.
   */
  readonly deferred?: readonly string[];
  /** Stopped before its end (RoundOptions.signal): run it again to finish. */
  readonly stopped?: boolean;
}

/** How many served orgs and nets a mail lists before "and N more". */
const SERVED_LINES = 20;
/** POCs read per query while looking for due ones. */
const PAGE = 500;

export function hostnameOf(config: Config): string {
  const address = firstAddress(config.replies.from) ?? config.replies.from;
  return address.slice(address.lastIndexOf('@') + 1) || 'localhost';
}

/** The bare hostmaster address: the validation mail's envelope sender, so its bounces come back to us. */
export function bounceAddressOf(config: Config): string {
  return firstAddress(config.replies.from) ?? config.hostmasterAddresses[0] ?? '';
}

export interface RoundOptions {
  /**
   * Stops the round between two POCs (the daemon shutting down): what was mailed stays mailed,
   * and the next run the same day goes on from there.
   */
  readonly signal?: AbortSignal;
}

export async function runValidationRound(
  deps: RoundDeps,
  asOf: Date,
  options: RoundOptions = {},
): Promise<RoundReport> {
  const round = roundOf(asOf);
  const madeInvalid = await expireOverdue(deps, asOf);
  const mailed: string[] = [];
  const deferred: string[] = [];
  let alreadyMailed = 0;
  const pace = await pacing(deps);
  const cap = await RoundAddressCap.load(deps.db, round, deps.config.limits.repliesPerRecipientPerHour);
  let after = '';
  for (;;) {
    const page = await candidates(deps.db, asOf, after);
    if (page.length === 0) break;
    after = page[page.length - 1]!.handle;
    for (const candidate of page) {
      if (options.signal?.aborted) return stopped(deps, { round, madeInvalid, mailed, alreadyMailed });
      if (!candidate.due) {
        if (candidate.lastRound === round) alreadyMailed++;
        continue;
      }
      const sent = await mailOne(deps, candidate.handle, { round, asOf, sendAt: pace.next(), cap });
      if (sent === 'mailed') {
        mailed.push(candidate.handle);
        deps.metrics?.validationEvent('sent');
      } else if (sent === 'deferred') deferred.push(candidate.handle);
      else alreadyMailed++;
    }
  }
  deps.logger.info(
    {
      round,
      asOf: asOf.toISOString(),
      madeInvalid: madeInvalid.length,
      mailed: mailed.length,
      alreadyMailed,
      deferred: deferred.length,
    },
    'validation round done',
  );
  return { round, madeInvalid, mailed, alreadyMailed, ...(deferred.length > 0 ? { deferred } : {}) };
}

function stopped(deps: RoundDeps, report: RoundReport): RoundReport {
  deps.logger.info(
    { round: report.round, mailed: report.mailed.length },
    'validation round stopped before its end; the next run resumes it',
  );
  return { ...report, stopped: true };
}

interface Candidate {
  readonly handle: string;
  /** Due by the one condition the console counts by too (due.ts). */
  readonly due: boolean;
  readonly lastRound: string | null;
}

/**
 * POCs not validated within a year of `asOf`, by handle, after `after`: whether each is due, and
 * the round of its last request (a POC not due that this round asked was already mailed).
 */
async function candidates(db: Database, asOf: Date, after: string): Promise<Candidate[]> {
  const { pocs } = tables;
  return db
    .select({
      handle: pocs.handle,
      due: sql<boolean>`(${dueCondition(asOf)})`,
      lastRound: sql<
        string | null
      >`(select v.round from poc_validations v where v.poc_handle = ${pocs.handle} order by v.sent_at desc limit 1)`,
    })
    .from(pocs)
    .where(and(gt(pocs.handle, after), yearSinceValidation(asOf)))
    .orderBy(asc(pocs.handle))
    .limit(PAGE);
}

/**
 * The outbox's due times for this run's mails: one every 3600/VALIDATION_MAILS_PER_HOUR seconds,
 * after those of earlier runs still waiting, so two runs on one day do not double the rate.
 */
async function pacing(deps: RoundDeps): Promise<{ next(): Date }> {
  const [row] = await deps.db
    .select({ latest: sql<string | null>`max(${tables.outbox.nextAttemptAt})` })
    .from(tables.outbox)
    .where(and(eq(tables.outbox.kind, 'validation'), eq(tables.outbox.state, 'pending')));
  const gapMs = 3_600_000 / deps.config.validation.mailsPerHour;
  let at = Math.max(Date.now(), row?.latest ? new Date(row.latest).getTime() + gapMs : 0);
  return {
    next() {
      const due = new Date(at);
      at += gapMs;
      return due;
    },
  };
}

/**
 * Writes one POC's request and mail, unless this round already did (`done`), or an address of
 * its nobody proved has had its share of this round (`deferred`, see address-cap.ts).
 */
async function mailOne(
  deps: RoundDeps,
  handle: string,
  when: { readonly round: string; readonly asOf: Date; readonly sendAt: Date; readonly cap: RoundAddressCap },
): Promise<'mailed' | 'done' | 'deferred'> {
  const { config } = deps;
  return deps.db.transaction(async (tx) => {
    const [poc] = await tx.select().from(tables.pocs).where(eq(tables.pocs.handle, handle)).for('update');
    if (!poc) return 'done';
    const recipients = reachableAddresses(poc.emails);
    if (recipients.length === 0) return 'done';
    const over = when.cap.heldBack(recipients);
    if (over) {
      deps.logger.info(
        { poc: handle, round: when.round },
        'validation mail deferred: an unproven address had its round',
      );
      return 'deferred';
    }
    const token = newValidationToken();
    const messageId = validationMessageId(when.round, handle, messageIdNonce(), hostnameOf(config));
    const deadline = deadlineFor(when.asOf);
    const [request] = await tx
      .insert(tables.pocValidations)
      .values({
        round: when.round,
        pocHandle: handle,
        messageId,
        tokenDigest: tokenDigest(token),
        recipients,
        sentAt: when.asOf,
        deadline,
      })
      .onConflictDoNothing({ target: [tables.pocValidations.round, tables.pocValidations.pocHandle] })
      .returning({ id: tables.pocValidations.id });
    if (!request) return 'done';
    const raw = composeValidationMail({
      poc: poc as PocRecord,
      served: await servedBy(tx, handle),
      round: when.round,
      deadline,
      token,
      messageId,
      recipients,
      ...(config.public.url ? { publicUrl: config.public.url } : {}),
      from: config.replies.from,
      date: new Date(),
    });
    await tx.insert(tables.outbox).values({
      messageId,
      kind: 'validation',
      // Not the null sender: a bounce must come back, to mark the address invalid.
      envelopeFrom: bounceAddressOf(config),
      recipients,
      raw,
      nextAttemptAt: when.sendAt,
    });
    // An invalid POC asked again stays invalid until it answers.
    await tx
      .update(tables.pocs)
      .set({ validationState: 'pending' })
      .where(and(eq(tables.pocs.handle, handle), eq(tables.pocs.validationState, 'valid')));
    await tx.insert(tables.auditLog).values({
      actor: 'system',
      action: 'poc.validation-sent',
      objectType: 'poc',
      objectHandle: handle,
      after: { round: when.round, deadline: deadline.toISOString(), recipients },
    });
    when.cap.count(recipients);
    return 'mailed';
  });
}

/** The orgs and nets a POC is a contact of, one line each, for its validation mail. */
export async function servedBy(tx: Transaction, handle: string): Promise<Served> {
  const { orgs, orgPocs, nets, netPocs } = tables;
  const orgRows = await tx
    .select({ handle: orgs.handle, name: orgs.name, role: orgPocs.role })
    .from(orgPocs)
    .innerJoin(orgs, eq(orgs.handle, orgPocs.orgHandle))
    .where(eq(orgPocs.pocHandle, handle))
    .orderBy(asc(orgs.handle));
  const byOrg = new Map<string, { name: string; roles: string[] }>();
  for (const r of orgRows) {
    const entry = byOrg.get(r.handle) ?? { name: r.name, roles: [] };
    entry.roles.push(r.role);
    byOrg.set(r.handle, entry);
  }
  const orgHandles = [...byOrg.keys()];
  const netRows = await tx
    .selectDistinct({ handle: nets.handle, name: nets.name, cidrs: nets.cidrs })
    .from(nets)
    .leftJoin(netPocs, eq(netPocs.netHandle, nets.handle))
    .where(
      orgHandles.length > 0
        ? sql`${netPocs.pocHandle} = ${handle} or ${inArray(nets.orgHandle, orgHandles)}`
        : eq(netPocs.pocHandle, handle),
    )
    .orderBy(asc(nets.handle))
    .limit(SERVED_LINES + 1_000);
  const lines = [
    ...[...byOrg].map(([h, o]) => `Org ${h} (${o.name}): ${rolesInOrder(o.roles).join(', ')}`),
    ...netRows.map((n) => `Net ${n.handle} (${n.name}, ${n.cidrs.join(', ')})`),
  ];
  return { lines: lines.slice(0, SERVED_LINES), more: Math.max(0, lines.length - SERVED_LINES) };
}

/** admin, tech, abuse, noc: as the org's record lists them. */
function rolesInOrder(roles: readonly string[]): string[] {
  const order: readonly string[] = tables.ORG_POC_ROLES;
  return [...roles].sort((a, b) => order.indexOf(a) - order.indexOf(b));
}

/**
 * Requests whose answer period ended by `asOf` without an answer: the request `expired`, the POC
 * `invalid` and its addresses flagged, unless it answered another request since. Answers the
 * POCs made invalid now (not those already invalid).
 */
async function expireOverdue(deps: RoundDeps, asOf: Date): Promise<string[]> {
  const { pocValidations, pocs } = tables;
  const outcome = await deps.db.transaction(async (tx) => {
    const overdue = await tx
      .update(pocValidations)
      .set({ state: 'expired' })
      .where(
        and(
          inArray(pocValidations.state, ['pending', 'bounced']),
          lte(pocValidations.deadline, asOf),
          // A POC whose mail still waits in the outbox (paced, or the relay down) was never asked:
          // nothing is unanswered yet. Its period starts when the mail goes out (at-send.ts).
          notExists(
            tx
              .select({ id: tables.outbox.id })
              .from(tables.outbox)
              .where(
                and(
                  eq(tables.outbox.messageId, pocValidations.messageId),
                  eq(tables.outbox.state, 'pending'),
                ),
              ),
          ),
        ),
      )
      .returning({ handle: pocValidations.pocHandle, round: pocValidations.round });
    if (overdue.length === 0) return { expired: [], invalid: [] };
    const list = [...new Set(overdue.map((r) => r.handle))];
    const made = await tx
      .update(pocs)
      .set({ validationState: 'invalid', invalidEmails: sql`${pocs.emails}` })
      .where(and(inArray(pocs.handle, list), sql`${pocs.validationState} <> 'invalid'`))
      .returning({ handle: pocs.handle });
    const invalid = made.map((r) => r.handle);
    if (invalid.length > 0) {
      await tx.insert(tables.auditLog).values(
        invalid.map((handle) => ({
          actor: 'system',
          action: 'poc.invalidated',
          objectType: 'poc',
          objectHandle: handle,
          note: `validation unanswered by ${asOf.toISOString().slice(0, 10)}`,
        })),
      );
    }
    return { expired: list, invalid };
  });
  // An event per POC whose request expired, whether or not it was still valid.
  for (const _ of outcome.expired) deps.metrics?.validationEvent('expired');
  return outcome.invalid;
}
