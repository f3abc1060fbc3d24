/**
 * What the SMTP ingress answers and why: each answer carries the code it is counted under
 * (metrics), so a refusal reads the same in the client's log, ours and the dashboards.
 */
import type { SMTPServerError } from 'smtp-server';
import type { Problem } from '../shared/index.ts';
import { smtpError } from './session-guard.ts';

/** An SMTP answer: the code and the text after it (enhanced status code first), and why (for metrics). */
export const reply = smtpError;

export const TRY_AGAIN = reply(451, '4.3.0 Temporary local problem; please try again later', 'E_INTERNAL');

/** A connection refused for a reason of ours: the client comes back later. */
export const TRY_LATER = reply(421, '4.3.0 Temporary local problem; please try again later', 'E_INTERNAL');

/** The answer to a message the ingress could not accept: 451 while a store is down, else 5xx. */
export function answerFor(p: Problem): SMTPServerError {
  if (p.code === 'E_DATABASE_UNAVAILABLE') {
    return reply(
      451,
      '4.3.0 The registry database is unreachable; message not accepted, please try again later',
      p.code,
    );
  }
  if (p.code === 'E_QUEUE_UNAVAILABLE') {
    return reply(
      451,
      '4.3.0 The job queue is unreachable; message not accepted, please try again later',
      p.code,
    );
  }
  if (p.code === 'E_DELIVERY_UNDECIDED') return reply(451, `4.3.0 ${p.message}`, p.code);
  if (p.code === 'E_MESSAGE_TOO_LARGE') return reply(552, `5.3.4 ${p.message}`, p.code);
  return reply(550, `5.6.0 ${p.message}`, p.code);
}
