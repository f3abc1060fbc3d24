/**
 * A POC created through a template belongs to the account that created it, as on the
 * registry's web site: that account may later modify or remove it. The POC and its link to the
 * account go in as ONE statement (data-modifying CTEs; the link is made from the inserted row,
 * so no POC means no link): a template creating a POC was three round trips (a savepoint, the
 * insert, the link) and is now one.
 *
 * The handle is the one reserved for the message (`takeMessageNumbers`) or the stem's counter's
 * next number. A handle already taken (by a seed file) makes the insert, and so the link, do
 * nothing: a reserved handle then falls back to the counter, and a counted one tries the next.
 *
 * A POC N for an account first waits its turn (`takeTurn`, taken ahead for a message's POCs by
 * its first statement: turns.ts): the resend check is a read, and
 * two messages carrying the same POC at the same moment (a billing system resending while the
 * first copy is still being processed) each read before the other committed, and each created
 * one. Nothing else makes them take turns: the handles differ (reserved before the transaction),
 * and no constraint may refuse equal POCs (another account, an embedded POC, or an M may make
 * two equal, rightly).
 */
import { getTableColumns, type SQL, sql } from 'drizzle-orm';
import {
  columnNames,
  columnPlaceholders,
  decodePrefixed,
  type Executor,
  prefixedSelection,
  prefixedValues,
  preparedSql,
  type Transaction,
  tables,
} from '../db/index.ts';
import { writeAudit } from './audit.ts';
import { counterBump, NUMBERING_PLACEHOLDERS, type NumberedHandle } from './handles.ts';
import { pocTurn, takeTurn } from './turns.ts';
import type { OperationContext, Poc } from './types.ts';

/** What a POC row holds beside its handle: written by a new POC, compared by a resend. */
export const POC_COLUMNS = [
  'kind',
  'lastName',
  'firstName',
  'middleName',
  'company',
  'street',
  'city',
  'state',
  'postalCode',
  'country',
  'phones',
  'emails',
  'publicComments',
] as const;

export type PocColumns = { [K in (typeof POC_COLUMNS)[number]]: Poc[K] };

/**
 * The statement, its handle given by `handle` (SQL heading it with any CTE it needs). A POC equal
 * in every column to one the account already holds is not inserted again: the statement answers
 * that one (`resent`), a billing system's POC N sent again after a lost reply (registry/resend.ts).
 * The check rides in the same statement: a POC N stays one round trip.
 */
function pocAndLink(head: SQL, handle: SQL): SQL {
  const { pocs, accountPocs } = tables;
  const values = columnPlaceholders(pocs, POC_COLUMNS, 'p_');
  const columns = getTableColumns(pocs);
  const same = POC_COLUMNS.map(
    (key, i) => sql`held.${sql.identifier(columns[key].name)} IS NOT DISTINCT FROM ${values[i]!}`,
  );
  // IS NOT DISTINCT FROM is no index condition: alone, the resend check read every POC (a
  // sequential scan that grew with the registry, for every POC a template creates). The last name
  // is never null, so equal rows have equal lower(last_name), which pocs_last_name_idx finds.
  const lastName = values[POC_COLUMNS.indexOf('lastName')]!;
  const byName = sql`lower(held.${sql.identifier(columns.lastName.name)}) = lower(${lastName})`;
  return sql`WITH ${head}
    existing AS (
      SELECT held.* FROM ${pocs} AS held
      JOIN ${accountPocs} ON ${accountPocs.pocHandle} = held.${sql.identifier(pocs.handle.name)}
      WHERE ${accountPocs.accountId} = ${sql.placeholder('account')}::integer AND ${byName}
        AND ${sql.join(same, sql` AND `)}
      ORDER BY held.${sql.identifier(pocs.handle.name)} LIMIT 1
    ),
    new_poc AS (
      INSERT INTO ${pocs} (${sql.identifier(pocs.handle.name)}, ${columnNames(pocs, POC_COLUMNS)})
      SELECT ${handle}, ${sql.join(values, sql`, `)}
      WHERE NOT EXISTS (SELECT 1 FROM existing)
      ON CONFLICT (${sql.identifier(pocs.handle.name)}) DO NOTHING
      RETURNING *
    ),
    link AS (
      INSERT INTO ${accountPocs} (${sql.identifier(accountPocs.accountId.name)}, ${sql.identifier(accountPocs.pocHandle.name)})
      SELECT ${sql.placeholder('account')}::integer, new_poc.handle FROM new_poc
      WHERE ${sql.placeholder('account')}::integer IS NOT NULL
      ON CONFLICT DO NOTHING
      RETURNING 1
    )
    SELECT ${prefixedSelection(pocs, 'new_poc', 'p_')}, EXISTS (SELECT 1 FROM link) AS linked, false AS resent FROM new_poc
    UNION ALL
    SELECT ${prefixedSelection(pocs, 'existing', 'p_')}, false AS linked, true AS resent FROM existing`;
}

type Row = Record<string, unknown>;

const withGivenHandle = preparedSql<Row, Row>('registry_insert_poc_and_link_given', () =>
  pocAndLink(sql``, sql`${sql.placeholder('handle')}::text`),
);

const withNumberedHandle = preparedSql<Row, Row>('registry_insert_poc_and_link_numbered', (ex: Executor) =>
  pocAndLink(
    sql`handle_counter AS ${counterBump(ex, NUMBERING_PLACEHOLDERS)},`,
    sql`(SELECT handle FROM handle_counter)`,
  ),
);

/**
 * Inserts the POC (audited) and, when `account` is given, links it to that account (audited as
 * a link), in one statement; or, when the account already holds a POC equal to it in every
 * column, answers that one (`resent`: nothing written, nothing audited).
 */
export async function insertPocAndLink(
  tx: Transaction,
  context: OperationContext,
  columns: PocColumns,
  numbering: NumberedHandle,
  account: number | undefined,
): Promise<Poc & { readonly resent?: true }> {
  const values = {
    ...prefixedValues('p_', columns),
    account: account ?? null,
  };
  // A message's POC N finds its turn taken ahead by the message's first statement (turns.ts).
  if (account !== undefined) await takeTurn(tx, pocTurn(account, columns), context.turnsHeld);
  const reserved = context.reservedHandles?.take(numbering);
  let row = reserved ? (await withGivenHandle(tx, { ...values, handle: reserved }))[0] : undefined;
  while (!row) [row] = await withNumberedHandle(tx, { ...values, ...numbering });
  const poc = decodePrefixed(tables.pocs, row, 'p_')!;
  if (row['resent'] === true) return { ...poc, resent: true };
  await writeAudit(tx, context, {
    action: 'create',
    objectType: 'poc',
    objectHandle: poc.handle,
    after: poc,
  });
  if (row['linked'] === true && account !== undefined) {
    await writeAudit(tx, context, {
      action: 'link',
      objectType: 'account',
      objectHandle: String(account),
      after: { pocHandle: poc.handle },
      note: `POC ${poc.handle} linked to the account that created it`,
    });
  }
  return poc;
}
