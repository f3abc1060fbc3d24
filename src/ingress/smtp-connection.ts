/** The SMTP phases of a connection as a whole: its start (admitted or refused) and its end. */
import type { SMTPServerError, SMTPServerSession } from 'smtp-server';
import { TRY_LATER } from './smtp-answers.ts';
import type { SmtpPhaseContext } from './smtp-phase.ts';

/** onConnect: the session guards admit the connection or refuse it with 421. */
export function connectHandler(ctx: SmtpPhaseContext) {
  return (session: SMTPServerSession, callback: (error?: Error | null) => void): void => {
    // Thrown here it would surface in a timer of smtp-server's and end the process.
    let refusal: SMTPServerError | undefined;
    try {
      refusal = ctx.guards.admit(session);
    } catch (error) {
      ctx.logger.error(
        { session: session.id, err: (error as Error).message },
        'smtp connection check failed',
      );
      refusal = TRY_LATER;
    }
    callback(refusal ?? null);
  };
}

/** onClose: what was kept for the connection goes. */
export function closeHandler(ctx: SmtpPhaseContext) {
  return (session: SMTPServerSession): void => {
    ctx.acceptedOnConnection.delete(session.id);
    ctx.guards.release(session);
  };
}
