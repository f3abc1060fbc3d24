/**
 * An operation either applies completely or leaves no trace. The worker records the ticket and
 * the rejection in the SAME transaction after a refused operation, so a half-written refusal would
 * be committed with it: each operation therefore runs inside a savepoint of the caller's
 * transaction (not a transaction of its own) and rolls back to it when it returns a failure or
 * a pending review.
 *
 * The database's own guard against overlapping sibling nets (an exclusion constraint, SQLSTATE
 * 23P01) fires only when two requests race past the operation's friendlier check; it is answered
 * here as the same `E_OVERLAP` refusal, after the savepoint has undone the operation, so the
 * caller's transaction goes on to record it like any other refusal.
 *
 * A create (`atomicallyCreating`) is first run once more instead: the guard waited for the
 * other request's transaction to commit before it fired, so the operation's checks, run again,
 * now see what it registered and answer as they would have a moment later. For the same
 * registration sent twice at once (a billing system resending while the first copy was still
 * being processed) that is the resend's answer, `already registered as ...` with the first
 * one's handles, not an E_OVERLAP the billing system would book as a failure; for another one,
 * the check's E_OVERLAP naming the net in the way. A second race in a row gets the guard's
 * refusal.
 */
import { sql } from 'drizzle-orm';
import type { Transaction } from '../db/index.ts';
import {
  type DriverErrorFields,
  errorChain,
  fail,
  type Problem,
  problem,
  type Result,
} from '../shared/index.ts';
import type { OperationContext, Outcome } from './types.ts';

export const SIBLING_OVERLAP_CONSTRAINT = 'nets_sibling_no_overlap';

/** The driver's error behind drizzle's wrapper, when it is a sibling-overlap violation. */
function siblingOverlap(error: unknown): DriverErrorFields | undefined {
  return errorChain(error).find(
    (e) => e.code === '23P01' && (e.constraint === undefined || e.constraint === SIBLING_OVERLAP_CONSTRAINT),
  );
}

export function overlapRaceProblem(error: unknown): Problem | undefined {
  const violation = siblingOverlap(error);
  if (!violation) return undefined;
  // detail: Key (numrange(...), parent_handle)=([3325256704,3325256711], NET-198-51-100-0-1)
  // conflicts with existing key (...): the range first since migration 0015, the parent first before.
  const parent = typeof violation.detail === 'string' ? parentOfViolation(violation.detail) : undefined;
  return problem(
    'E_OVERLAP',
    `the range overlaps a network that another request registered${parent ? ` under ${parent}` : ''} at the same moment; nothing was changed`,
  );
}

/** The parent named by the violation's detail, whichever order the constraint's columns are in. */
function parentOfViolation(detail: string): string | undefined {
  return (/\)=\(\[[^\]]*\], ([^)]+)\)/.exec(detail) ?? /\)=\(([^,[]+),/.exec(detail))?.[1];
}

/** Savepoint names, unique within the process (so within any transaction). */
let savepoints = 0;

/**
 * The savepoint is kept, not released, when the operation is: it ends with the transaction, and a
 * RELEASE is a round trip per template for nothing (a message's transaction holds at most one
 * per template).
 */
export async function atomically(
  tx: Transaction,
  work: (tx: Transaction) => Promise<Result<Outcome, Problem>>,
  options: { readonly runAgainAfterRace?: OperationContext } = {},
): Promise<Result<Outcome, Problem>> {
  const name = sql.raw(`operation_${++savepoints}`);
  const undo = () => tx.execute(sql`rollback to savepoint ${name}`);
  await tx.execute(sql`savepoint ${name}`);
  // Audit rows the undone run gathered go with it (a run again gathers its own).
  const gathered = options.runAgainAfterRace?.pendingAudit;
  const auditMark = gathered?.length ?? 0;
  for (let run = 1; ; run++) {
    try {
      const result = await work(tx);
      if (!result.ok || result.value.status !== 'applied') {
        await undo();
        return result;
      }
      return result;
    } catch (error) {
      const overlap = overlapRaceProblem(error);
      if (!overlap) throw error;
      await undo();
      if (gathered) gathered.length = auditMark;
      if (run === 1 && options.runAgainAfterRace) continue;
      return fail(overlap);
    }
  }
}

/** `atomically` for an operation that creates a net: a race lost to the overlap guard is run once more. */
export function atomicallyCreating(
  tx: Transaction,
  context: OperationContext,
  work: (tx: Transaction) => Promise<Result<Outcome, Problem>>,
): Promise<Result<Outcome, Problem>> {
  return atomically(tx, work, { runAgainAfterRace: context });
}
