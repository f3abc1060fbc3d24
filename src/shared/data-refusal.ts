/**
 * A database error that the same values would get again, however often they are sent: SQLSTATE
 * class 22 (data exception: a NUL in text, a value that is not a number) or 54 (over a limit: an
 * index row too large). Retrying it only delays the answer; whoever sent the values must hear it.
 */
import { errorChain } from './errors.ts';

export function isDataRefusal(error: unknown): boolean {
  return errorChain(error).some(
    (e) => typeof e.code === 'string' && (e.code.startsWith('22') || e.code.startsWith('54')),
  );
}
