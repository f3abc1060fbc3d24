/** The SMTP envelope phases: MAIL FROM (the per-connection and per-sender limits) and RCPT TO (our mailboxes only). */
import type { SMTPServerAddress, SMTPServerSession } from 'smtp-server';
import { clientKey } from '../ip/index.ts';
import { reply } from './smtp-answers.ts';
import { guarded, type SmtpCallback, type SmtpPhaseContext } from './smtp-phase.ts';

/** onMailFrom: refuses a connection past its message count, and a sender lately found at its hourly limit. */
export function mailFromHandler(ctx: SmtpPhaseContext) {
  const { limits } = ctx.config;
  return (address: SMTPServerAddress, session: SMTPServerSession, callback: SmtpCallback): void => {
    guarded(ctx, 'MAIL FROM', session, callback, async () => {
      const accepted = ctx.acceptedOnConnection.get(session.id) ?? 0;
      if (accepted >= limits.perConnectionMessages) {
        throw reply(
          451,
          `4.7.1 ${accepted} messages on one connection is the limit; please reconnect to send more`,
          'E_CONNECTION_LIMIT',
        );
      }
      // Only a sender lately found at its limit costs a Redis call here; DATA checks everyone.
      const client = clientKey(session.remoteAddress);
      if (ctx.rate.recentlyOverLimit([address.address], client)) {
        const over = await ctx.rate.overLimitAnswer([address.address], client);
        if (over) throw over;
      }
      return undefined;
    });
  };
}

/** onRcptTo: only the hostmaster addresses (and the dry-run ones); nothing is relayed. */
export function rcptToHandler(ctx: SmtpPhaseContext) {
  // Mail to a dry-run address is taken like any: the worker runs it and rolls it back.
  const mailboxes = new Set(
    [...ctx.config.hostmasterAddresses, ...ctx.config.dryRunAddresses].map((a) => a.toLowerCase()),
  );
  return (address: SMTPServerAddress, session: SMTPServerSession, callback: SmtpCallback): void => {
    guarded(ctx, 'RCPT TO', session, callback, async () => {
      if (!mailboxes.has(address.address.toLowerCase())) {
        throw reply(
          550,
          `5.1.1 <${address.address}>: no such mailbox here; this server only accepts mail for ${[...mailboxes].join(', ')} (no relaying)`,
          'E_UNKNOWN_RECIPIENT',
        );
      }
      return undefined;
    });
  };
}
