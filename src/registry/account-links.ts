/**
 * A POC created through a template belongs to the account that created it, as on the
 * registry's web site: that account may later modify or remove it.
 */
import { type Transaction, tables } from '../db/index.ts';
import { writeAudit } from './audit.ts';
import type { OperationContext } from './types.ts';

export async function linkAccountPoc(
  tx: Transaction,
  context: OperationContext,
  accountId: number,
  pocHandle: string,
): Promise<void> {
  const added = await tx
    .insert(tables.accountPocs)
    .values({ accountId, pocHandle })
    .onConflictDoNothing()
    .returning();
  if (added.length === 0) return;
  await writeAudit(tx, context, {
    action: 'link',
    objectType: 'account',
    objectHandle: String(accountId),
    after: { pocHandle },
    note: `POC ${pocHandle} linked to the account that created it`,
  });
}
