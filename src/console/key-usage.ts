/**
 * What each account and API key sent us in the last 30 days, by outcome, and when each key was
 * last used: for staff answering "our billing system says it sent 40 templates yesterday".
 * Counted from what the worker recorded on each submission (its account, and the key it carried;
 * a message identified by its sender's address alone counts under the account without a key).
 * A key is shown by its last group only (`API-****-****-****-0001`), as everywhere in the console.
 */
import { and, asc, count, gt, ilike, inArray, isNull, or, sql } from 'drizzle-orm';
import { type Database, queryRows, tables } from '../db/index.ts';
import { redactKey } from '../shared/index.ts';
import { escapeLike } from './rejection-queue.ts';

/** How far back the counts reach. */
export const USAGE_DAYS = 30;

export interface UsageCounts {
  readonly messages: number;
  /** Messages refused as a whole (no template, too many, unreadable...). */
  readonly refused: number;
  /** Messages that answered our mail (no template; passed to staff). */
  readonly answers: number;
  readonly approved: number;
  readonly rejected: number;
  readonly pendingReview: number;
}

export interface KeyUsage {
  readonly keyId: number;
  /** `API-****-****-****-0001`: the last group only. */
  readonly shown: string;
  readonly createdAt: Date;
  readonly revokedAt: Date | null;
  readonly lastUsedAt: Date | null;
  readonly counts: UsageCounts;
}

export interface AccountUsage {
  readonly accountId: number;
  readonly name: string;
  readonly emails: readonly string[];
  readonly keys: readonly KeyUsage[];
  /** Messages identified by the account's sender address, without a key. */
  readonly withoutKey: UsageCounts;
  readonly lastWithoutKeyAt: Date | null;
}

const NONE: UsageCounts = { messages: 0, refused: 0, answers: 0, approved: 0, rejected: 0, pendingReview: 0 };

type CountRow = {
  account_id: number;
  api_key_id: number | null;
  messages: string;
  refused: string;
  answers: string;
  approved: string;
  rejected: string;
  pending_review: string;
  last_at: Date | string | null;
};

type KeyRow = {
  id: number;
  account_id: number;
  display: string;
  created_at: Date | string;
  revoked_at: Date | string | null;
  last_at: Date | string | null;
};

function countsOf(row: CountRow | undefined): UsageCounts {
  if (!row) return NONE;
  return {
    messages: Number(row.messages),
    refused: Number(row.refused),
    answers: Number(row.answers),
    approved: Number(row.approved),
    rejected: Number(row.rejected),
    pendingReview: Number(row.pending_review),
  };
}

function dateOf(value: Date | string | null | undefined): Date | null {
  if (value === null || value === undefined) return null;
  return value instanceof Date ? value : new Date(value);
}

/** Accounts shown on one page of `/accounts`. */
export const ACCOUNTS_PER_PAGE = 50;

export interface UsageQuery {
  /** Part of an account's name or of one of its addresses (any case). */
  readonly search?: string;
  /** The last account name of the previous page: this page starts after it. */
  readonly after?: string;
  readonly limit?: number;
}

export interface UsagePage {
  readonly accounts: readonly AccountUsage[];
  /** How many accounts match the search, on every page. */
  readonly matching: number;
  /** The cursor of the next page, when there is one. */
  readonly next?: string;
}

/**
 * One page of accounts, by name. Every count is asked for the page's accounts only, through the
 * submissions' per-account and per-key indexes: a registry with thousands of accounts and a
 * billing system's thousands of messages a night pays for the fifty rows it shows.
 */
export async function loadKeyUsage(
  db: Database,
  query: UsageQuery = {},
  now: Date = new Date(),
): Promise<UsagePage> {
  const a = tables.accounts;
  const ae = tables.accountEmails;
  const limit = query.limit ?? ACCOUNTS_PER_PAGE;
  const search = query.search?.trim();
  const matches = search
    ? or(
        ilike(a.name, `%${escapeLike(search)}%`),
        sql`EXISTS (SELECT 1 FROM ${ae} WHERE ${ae.accountId} = ${a.id} AND ${ae.email} ILIKE ${`%${escapeLike(search)}%`})`,
      )
    : undefined;
  const [page, [total]] = await Promise.all([
    db
      .select()
      .from(a)
      .where(and(matches, query.after === undefined ? undefined : gt(a.name, query.after)))
      .orderBy(asc(a.name))
      .limit(limit + 1),
    db.select({ n: count() }).from(a).where(matches),
  ]);
  const accounts = page.slice(0, limit);
  const next = page.length > limit ? accounts.at(-1)?.name : undefined;
  const usage = await usageOf(db, accounts, now);
  return { accounts: usage, matching: total?.n ?? 0, ...(next === undefined ? {} : { next }) };
}

async function usageOf(
  db: Database,
  accounts: readonly (typeof tables.accounts.$inferSelect)[],
  now: Date,
): Promise<AccountUsage[]> {
  if (accounts.length === 0) return [];
  const ids = accounts.map((account) => account.id);
  const s = tables.submissions;
  const st = tables.submissionTemplates;
  const since = new Date(now.getTime() - USAGE_DAYS * 24 * 60 * 60 * 1000);
  const idList = sql.join(
    ids.map((id) => sql`${id}`),
    sql`, `,
  );
  const [emails, keys, counts, lastWithoutKey] = await Promise.all([
    db
      .select()
      .from(tables.accountEmails)
      .where(inArray(tables.accountEmails.accountId, ids))
      .orderBy(asc(tables.accountEmails.email)),
    // Each key with when it was last used, however long ago (the per-key index, newest first).
    // Written out with table aliases: drizzle leaves a selection's columns unqualified, and an
    // unqualified "id" inside the subquery would be the submission's.
    queryRows<KeyRow>(
      db,
      sql`SELECT k.id, k.account_id, k.display, k.created_at, k.revoked_at,
            (SELECT max(u.received_at) FROM ${s} u WHERE u.api_key_id = k.id) AS last_at
          FROM ${tables.apiKeys} k
          WHERE k.account_id IN (${idList})
          ORDER BY k.id`,
    ),
    // Per message first (its templates counted by outcome), then per account and key.
    queryRows<CountRow>(
      db,
      sql`SELECT m.account_id, m.api_key_id, count(*) AS messages,
            count(*) FILTER (WHERE m.refused) AS refused,
            count(*) FILTER (WHERE m.answer) AS answers,
            coalesce(sum(m.approved), 0) AS approved, coalesce(sum(m.rejected), 0) AS rejected,
            coalesce(sum(m.pending_review), 0) AS pending_review, NULL AS last_at
          FROM (SELECT ${s.accountId} AS account_id, ${s.apiKeyId} AS api_key_id,
                  ${s.refusalCode} IS NOT NULL AS refused,
                  EXISTS (SELECT 1 FROM ${tables.rejections} r WHERE r.submission_id = ${s.id}
                    AND r.reason_code = ${tables.ANSWER_TO_US_REASON}) AS answer,
                  (SELECT count(*) FROM ${st} WHERE ${st.submissionId} = ${s.id} AND ${st.outcome} = 'approved') AS approved,
                  (SELECT count(*) FROM ${st} WHERE ${st.submissionId} = ${s.id} AND ${st.outcome} = 'rejected') AS rejected,
                  (SELECT count(*) FROM ${st} WHERE ${st.submissionId} = ${s.id} AND ${st.outcome} = 'pending_review') AS pending_review
                FROM ${s}
                WHERE ${s.accountId} IN (${idList}) AND ${s.receivedAt} >= ${since.toISOString()}::timestamptz) m
          GROUP BY m.account_id, m.api_key_id`,
    ),
    // When each account last sent mail identified by its address alone.
    db
      .select({ accountId: s.accountId, lastAt: sql<Date | string>`max(${s.receivedAt})` })
      .from(s)
      .where(and(inArray(s.accountId, ids), isNull(s.apiKeyId)))
      .groupBy(s.accountId),
  ]);
  return accounts.map((account) => {
    const mine = counts.filter((c) => Number(c.account_id) === account.id);
    return {
      accountId: account.id,
      name: account.name,
      emails: emails.filter((e) => e.accountId === account.id).map((e) => e.email),
      keys: keys
        .filter((key) => Number(key.account_id) === account.id)
        .map((key) => ({
          keyId: Number(key.id),
          // A stored display of any age (an early one kept the first group too) shows the last group only.
          shown: redactKey(key.display),
          createdAt: dateOf(key.created_at) ?? new Date(0),
          revokedAt: dateOf(key.revoked_at),
          lastUsedAt: dateOf(key.last_at),
          counts: countsOf(
            mine.find((c) => c.api_key_id !== null && Number(c.api_key_id) === Number(key.id)),
          ),
        })),
      withoutKey: countsOf(mine.find((c) => c.api_key_id === null)),
      lastWithoutKeyAt: dateOf(lastWithoutKey.find((l) => l.accountId === account.id)?.lastAt),
    };
  });
}
