/**
 * Errors are values: a stable machine code and a sentence a human can act on.
 * Every code is an entry of the one catalogue, error-codes.ts.
 */
import type { ErrorCode } from './error-codes.ts';

export interface Problem {
  readonly code: ErrorCode;
  readonly message: string;
  /** Template field number as written on the form, e.g. '03' (templates only). */
  readonly field?: string;
  /** 1-based line number inside the template or message text (templates only). */
  readonly line?: number;
}

export type Result<T, E = Problem> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: E };

export const ok = <T>(value: T): { readonly ok: true; readonly value: T } => ({ ok: true, value });
export const fail = <E = Problem>(error: E): { readonly ok: false; readonly error: E } => ({
  ok: false,
  error,
});

export function problem(
  code: ErrorCode,
  message: string,
  where: { field?: string; line?: number } = {},
): Problem {
  return { code, message, ...where };
}

/** `E_CODE field 03 line 7: sentence` — the one-line form used in replies and logs. */
export function formatProblem(p: Problem): string {
  const where = [p.field ? `field ${p.field}` : '', p.line ? `line ${p.line}` : ''].filter(Boolean).join(' ');
  return `${p.code}${where ? ` ${where}` : ''}: ${p.message}`;
}

/** Thrown only across process boundaries we do not control (start-up, CLI); inside, return Problems. */
export class ProblemError extends Error {
  constructor(readonly problem: Problem) {
    super(formatProblem(problem));
    this.name = 'ProblemError';
  }
}

/** What a driver error carries: PostgreSQL's SQLSTATE, constraint and detail, and its cause. */
export interface DriverErrorFields {
  readonly message?: unknown;
  readonly code?: unknown;
  readonly constraint?: unknown;
  readonly detail?: unknown;
  readonly cause?: unknown;
}

/** An error and the causes it wraps (drizzle wraps the driver's), outermost first, at most 5. */
export function errorChain(error: unknown): DriverErrorFields[] {
  const chain: DriverErrorFields[] = [];
  for (let e = error; e !== null && typeof e === 'object' && chain.length < 5; ) {
    chain.push(e as DriverErrorFields);
    e = (e as DriverErrorFields).cause;
  }
  return chain;
}

/** Driver errors wrap the cause; the innermost message says what actually happened. */
export function describeError(error: unknown): string {
  const messages = errorChain(error)
    .map((e) => e.message)
    .filter((m): m is string => typeof m === 'string' && m !== '');
  const message = messages[messages.length - 1] ?? String(error);
  return message.split('\n')[0] ?? message;
}
