/**
 * An operation either applies completely or leaves no trace. The worker records the ticket and
 * the rejection in the SAME transaction after a refused operation, so a half-written refusal would
 * be committed with it: each operation therefore runs inside a savepoint of the caller's
 * transaction (not a transaction of its own) and rolls back to it when it returns a failure or
 * a pending review.
 */
import type { Transaction } from '../db/index.ts';
import type { Problem, Result } from '../shared/errors.ts';
import type { Outcome } from './types.ts';

class RollBack extends Error {
  constructor(readonly result: Result<Outcome, Problem>) {
    super('rolled back to savepoint');
  }
}

export async function atomically(
  tx: Transaction,
  work: (tx: Transaction) => Promise<Result<Outcome, Problem>>,
): Promise<Result<Outcome, Problem>> {
  try {
    return await tx.transaction(async (savepoint) => {
      const result = await work(savepoint as unknown as Transaction);
      if (!result.ok || result.value.status !== 'applied') throw new RollBack(result);
      return result;
    });
  } catch (error) {
    if (error instanceof RollBack) return error.result;
    throw error;
  }
}
