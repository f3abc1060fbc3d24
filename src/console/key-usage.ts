/**
 * What each account and API key sent us in the last 30 days, by outcome, and when each key was
 * last used: for staff answering "our billing system says it sent 40 templates yesterday".
 * Counted from what the worker recorded on each submission (its account, and the key it carried;
 * a message identified by its sender's address alone counts under the account without a key).
 * A key is shown by its last group only (`API-****-****-****-0001`), as everywhere in the console.
 */
import { asc, isNotNull, sql } from 'drizzle-orm';
import { type Database, queryRows, tables } from '../db/index.ts';

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

/** A stored display (`API-1A2B-****-****-9F3C`) as the console shows keys: its last group only. */
export function keyShownAs(display: string): string {
  const last = /([0-9A-F]{4})\s*$/i.exec(display)?.[1]?.toUpperCase() ?? '????';
  return `API-****-****-****-${last}`;
}

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

export async function loadKeyUsage(db: Database, now: Date = new Date()): Promise<AccountUsage[]> {
  const s = tables.submissions;
  const st = tables.submissionTemplates;
  const since = new Date(now.getTime() - USAGE_DAYS * 24 * 60 * 60 * 1000);
  const [accounts, emails, keys, counts, lastUse] = await Promise.all([
    db.select().from(tables.accounts).orderBy(asc(tables.accounts.name)),
    db.select().from(tables.accountEmails).orderBy(asc(tables.accountEmails.email)),
    db.select().from(tables.apiKeys).orderBy(asc(tables.apiKeys.id)),
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
                WHERE ${s.accountId} IS NOT NULL AND ${s.receivedAt} >= ${since.toISOString()}::timestamptz) m
          GROUP BY m.account_id, m.api_key_id`,
    ),
    // When each key (and each account without one) was last used, however long ago.
    db
      .select({
        accountId: s.accountId,
        apiKeyId: s.apiKeyId,
        lastAt: sql<Date | string>`max(${s.receivedAt})`,
      })
      .from(s)
      .where(isNotNull(s.accountId))
      .groupBy(s.accountId, s.apiKeyId),
  ]);
  return accounts.map((account) => {
    const mine = counts.filter((c) => Number(c.account_id) === account.id);
    const last = lastUse.filter((l) => l.accountId === account.id);
    return {
      accountId: account.id,
      name: account.name,
      emails: emails.filter((e) => e.accountId === account.id).map((e) => e.email),
      keys: keys
        .filter((k) => k.accountId === account.id)
        .map((k) => ({
          keyId: k.id,
          shown: keyShownAs(k.display),
          createdAt: k.createdAt,
          revokedAt: k.revokedAt,
          lastUsedAt: dateOf(last.find((l) => l.apiKeyId === k.id)?.lastAt),
          counts: countsOf(mine.find((c) => c.api_key_id !== null && Number(c.api_key_id) === k.id)),
        })),
      withoutKey: countsOf(mine.find((c) => c.api_key_id === null)),
      lastWithoutKeyAt: dateOf(last.find((l) => l.apiKeyId === null)?.lastAt),
    };
  });
}
