/**
 * What every SMTP phase handler (smtp-connection.ts, smtp-envelope.ts, smtp-data.ts) works
 * with, built once per ingress by `startIngress`, and the one way a handler's work is run.
 */
import type { Logger } from 'pino';
import type { SMTPServerError, SMTPServerSession } from 'smtp-server';
import type { Config } from '../config/index.ts';
import type { Executor } from '../db/index.ts';
import type { SubmissionQueue } from '../queue/index.ts';
import type { SessionGuards } from './session-guard.ts';
import { TRY_AGAIN } from './smtp-answers.ts';
import type { SenderRateAnswers } from './smtp-sender-rate.ts';

/** Counters the daemon wires to Prometheus: the ingress only says what it answered and why. */
export interface IngressMetrics {
  messageAccepted(duplicate: boolean): void;
  /** A refused command (MAIL FROM, RCPT TO or DATA): an E_ code for why, and the SMTP code sent. */
  messageRefused(reason: string, smtpCode: number): void;
}

export interface SmtpPhaseContext {
  readonly config: Config;
  readonly db: Executor;
  readonly queue: SubmissionQueue;
  readonly logger: Logger;
  readonly metrics: IngressMetrics | undefined;
  readonly guards: SessionGuards;
  readonly rate: SenderRateAnswers;
  /** Messages accepted on each open connection, by session id. */
  readonly acceptedOnConnection: Map<string, number>;
}

/** smtp-server's callback for a command: an error is the answer, else `250` with the message. */
export type SmtpCallback = (error?: Error | null, message?: string) => void;

export function countRefusal(ctx: SmtpPhaseContext, error: SMTPServerError): void {
  const reason = 'reason' in error && typeof error.reason === 'string' ? error.reason : 'E_OTHER';
  ctx.metrics?.messageRefused(reason, error.responseCode ?? 451);
}

/**
 * Runs a handler's work with the client's clocks stopped (it waits for us) so that nothing it
 * throws reaches smtp-server: an SMTP answer thrown is sent and counted, a surprise answers 451
 * and is logged.
 */
export function guarded(
  ctx: SmtpPhaseContext,
  what: string,
  session: SMTPServerSession,
  callback: SmtpCallback,
  work: () => Promise<string | undefined>,
): void {
  ctx.guards.working(session, work).then(
    (message) => callback(null, message),
    (error: unknown) => {
      if (error instanceof Error && 'responseCode' in error) {
        countRefusal(ctx, error as SMTPServerError);
        return callback(error);
      }
      ctx.logger.error({ session: session.id, err: (error as Error).message }, `smtp ${what} failed`);
      countRefusal(ctx, TRY_AGAIN);
      callback(TRY_AGAIN);
    },
  );
}
