/**
 * The per-sender hourly limit as the SMTP phases use it: an early "over the limit" at MAIL FROM,
 * the count that holds at DATA, and the count given back for a message not accepted. Redis down
 * is answered 451 like any store the ingress needs.
 */
import type { Logger } from 'pino';
import type { SMTPServerError } from 'smtp-server';
import { problem } from '../shared/index.ts';
import type { RateDecision, RateReservation, RateVerdict, SenderRate } from './sender-rate.ts';
import { answerFor, reply } from './smtp-answers.ts';

export class SenderRateAnswers {
  constructor(
    private readonly rate: SenderRate,
    private readonly logger: Logger,
  ) {}

  /** Without a Redis call: whether a sender was lately found at its limit (worth asking at MAIL FROM). */
  recentlyOverLimit(senders: readonly string[], client: string): boolean {
    return this.rate.recentlyOverLimit(senders, client);
  }

  /** MAIL FROM: the "over the limit" answer for a sender at its limit, before the message is sent. Counts nothing. */
  async overLimitAnswer(senders: readonly string[], client: string): Promise<SMTPServerError | undefined> {
    let verdict: RateVerdict | undefined;
    try {
      verdict = await this.rate.overLimit(senders, client);
    } catch {
      return this.redisDown();
    }
    return verdict ? this.overLimit(verdict) : undefined;
  }

  /** DATA: counts the message for its senders, or throws the SMTP answer (over the limit, Redis down). */
  async reserve(senders: readonly string[], client: string): Promise<RateReservation> {
    let decision: RateDecision;
    try {
      decision = await this.rate.reserve(senders, client);
    } catch {
      throw this.redisDown();
    }
    if (!decision.allowed) throw this.overLimit(decision.verdict);
    return decision.reservation;
  }

  /** Gives a count back without delaying the answer; a lost release only makes the limit a little strict. */
  release(reservation: RateReservation): void {
    this.rate.release(reservation).catch((error: Error) => {
      this.logger.warn({ err: error.message }, 'could not give back a sender count');
    });
  }

  private overLimit(verdict: RateVerdict): SMTPServerError {
    this.logger.warn(
      { sender: verdict.sender, client: verdict.client, count: verdict.count },
      'sender over its hourly limit',
    );
    return reply(
      451,
      `4.7.1 ${verdict.sender} has sent ${verdict.count} messages from ${verdict.client} in the last hour; the limit is ${this.rate.limitPerHour}, please try again later`,
      'E_SENDER_RATE',
    );
  }

  private redisDown(): SMTPServerError {
    return answerFor(problem('E_QUEUE_UNAVAILABLE', 'redis unreachable'));
  }
}
