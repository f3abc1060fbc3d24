/**
 * What an account holds on a net, as SQL to put in the statement that reads the net: whether
 * it is linked (`account_pocs`) to an admin or tech POC of the net's org, or to a tech POC of the
 * net itself. The authority rules that read these flags live in src/auth; the registry answers
 * them for the parent it places a new net under (`OperationOptions.delegation`), and src/auth
 * for every level of a net's chain.
 */
import { type SQL, type SQLWrapper, sql } from 'drizzle-orm';
import { tables } from '../db/index.ts';

/**
 * The account holds this POC: one probe of `account_pocs`' primary key per POC of the org or
 * net. A scalar subquery on purpose: written as a join or an EXISTS, the planner may start from
 * the account's side, and a billing system's account holds thousands of POCs while an org or a
 * net names a handful (seen at 1.3 ms a check, statistics lagging a growing table).
 */
export function heldBy(account: SQLWrapper | number, pocHandle: SQLWrapper): SQL {
  const { accountPocs } = tables;
  return sql`coalesce((SELECT true FROM ${accountPocs}
    WHERE ${accountPocs.accountId} = ${account} AND ${accountPocs.pocHandle} = ${pocHandle}), false)`;
}

export interface HolderFlags {
  /** Linked to an admin POC of the net's org. */
  readonly orgAdmin: SQL<boolean>;
  /** ... to a tech POC of the net's org. */
  readonly orgTech: SQL<boolean>;
  /** ... to a tech POC of the net itself. */
  readonly netTech: SQL<boolean>;
}

/** The three flags for the net `netHandle` held by `orgHandle` (SQL expressions of the caller's statement). */
export function holderFlags(
  account: SQLWrapper | number,
  orgHandle: SQLWrapper,
  netHandle: SQLWrapper,
): HolderFlags {
  const { orgPocs, netPocs } = tables;
  const orgRole = (role: 'admin' | 'tech') =>
    sql<boolean>`EXISTS (SELECT 1 FROM ${orgPocs} WHERE ${orgPocs.orgHandle} = ${orgHandle}
      AND ${orgPocs.role} = ${sql.raw(`'${role}'`)} AND ${heldBy(account, orgPocs.pocHandle)})`;
  return {
    orgAdmin: orgRole('admin'),
    orgTech: orgRole('tech'),
    netTech: sql<boolean>`EXISTS (SELECT 1 FROM ${netPocs} WHERE ${netPocs.netHandle} = ${netHandle}
      AND ${netPocs.role} = 'tech' AND ${heldBy(account, netPocs.pocHandle)})`,
  };
}
