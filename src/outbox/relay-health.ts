/**
 * Whether the relay is taking mail, as one sender sees it. A fault of the relay (unreachable,
 * refusing our session, login or envelope sender) is told to operators once when it starts and
 * once when it ends, not once per mail waiting (a relay down for an hour with a thousand
 * replies queued is one error line, not a thousand warnings); a different fault meanwhile (the
 * relay back up but refusing our login) is told once more.
 */
import type { RelayFault } from '../shared/index.ts';

export interface RelayHealthLogger {
  info(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/** What the daemon's metrics hear of the relay. */
export interface RelayHealthMetrics {
  /** An attempt failed on the relay (counted by fault). */
  relayFailed(fault: RelayFault): void;
  /** The relay took mail (true) or the last attempt found it failing (false). */
  relayUp(up: boolean): void;
}

export interface RelayHealth {
  /** Since when the relay has been failing (ms since the epoch), or undefined while it takes mail. */
  readonly downSince: number | undefined;
  /** When the relay last answered for a mail (took or refused it), ms since the epoch; 0 never. */
  readonly lastAnsweredAt: number;
  /** An attempt failed on the relay. */
  failed(fault: RelayFault, error: string): void;
  /** The relay answered for a mail; true when that ends a spell of faults. */
  answered(): boolean;
}

export function watchRelay(options: {
  readonly relay: string;
  readonly logger: RelayHealthLogger;
  readonly metrics?: RelayHealthMetrics | undefined;
  readonly now?: () => number;
}): RelayHealth {
  const now = options.now ?? Date.now;
  let down: { since: number; fault: RelayFault; attempts: number } | undefined;
  let lastAnsweredAt = 0;
  options.metrics?.relayUp(true);
  return {
    get downSince() {
      return down?.since;
    },
    get lastAnsweredAt() {
      return lastAnsweredAt;
    },
    failed(fault, error) {
      options.metrics?.relayFailed(fault);
      if (down) {
        down.attempts++;
        if (down.fault === fault) return;
        down.fault = fault;
      } else {
        down = { since: now(), fault, attempts: 1 };
        options.metrics?.relayUp(false);
      }
      options.logger.error(
        { relay: options.relay, fault, error },
        'the relay is not taking mail: replies wait in the outbox (their attempts not counted) and are tried again; look at the relay or REPLY_SMTP_URL',
      );
    },
    answered() {
      lastAnsweredAt = now();
      if (!down) return false;
      options.logger.info(
        { relay: options.relay, downForMs: lastAnsweredAt - down.since, failedAttempts: down.attempts },
        'the relay takes mail again; replies that waited for it are due now',
      );
      down = undefined;
      options.metrics?.relayUp(true);
      return true;
    },
  };
}
