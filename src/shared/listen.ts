/**
 * Why a listener could not open, in one sentence an operator can act on: which service, which
 * address, what the system said in plain words, and which variable moves it. Every listener the
 * daemon opens fails this same way, so `hostmasterd start` prints one line and exits 1.
 */
import type { ErrorCode } from './error-codes.ts';
import { ProblemError, problem } from './errors.ts';

export interface Listener {
  /** The listener's refusal code, e.g. E_SMTP_LISTEN. */
  readonly code: ErrorCode;
  /** What listens, as a sentence's subject: 'the staff console'. */
  readonly what: string;
  readonly host: string;
  readonly port: number;
  /** The configuration that chooses the address: 'SMTP_HOST/SMTP_PORT'. */
  readonly variables: string;
}

const REASONS: Record<string, string> = {
  EADDRINUSE: 'the address is already in use by another process',
  EACCES: 'permission denied (ports below 1024 need privileges)',
  EADDRNOTAVAIL: 'this machine has no such address',
  ENOTFOUND: 'the host name does not resolve',
};

export function listenFailure(listener: Listener, error: unknown): ProblemError {
  const code = (error as { code?: unknown } | null)?.code;
  const reason =
    (typeof code === 'string' ? REASONS[code] : undefined) ??
    (error instanceof Error ? error.message : String(error));
  return new ProblemError(
    problem(
      listener.code,
      `${listener.what} cannot listen on ${listener.host}:${listener.port}: ${reason}; choose another with ${listener.variables}`,
    ),
  );
}
