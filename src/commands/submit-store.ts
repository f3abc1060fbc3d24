/**
 * `submit` storing the message itself in an embedded database no daemon holds: the database, the
 * ingress's storage and the queue, loaded only on this path (submit.ts decides first whether a
 * running daemon takes the message; on PostgreSQL submit-postgres.ts stores it). What it promises
 * is submit.ts's head comment.
 */
import { type DatabaseHandle, openDatabase } from '../db/index.ts';
import { acceptMessage, isTemporary, storeSubmission } from '../ingress/index.ts';
import type { MessageHead } from '../mail/index.ts';
import { pingRedisSocket, SubmissionQueue } from '../queue/index.ts';
import { ProblemError } from '../shared/index.ts';
import type { Answers, SubmitDeps } from './submit.ts';

export interface StdinMessage {
  readonly raw: Buffer;
  /** Already read by submit.ts: not parsed twice. */
  readonly head: MessageHead;
  readonly envelope: { readonly mailFrom: string; readonly rcptTo: readonly string[] };
}

export async function storeHere(
  deps: SubmitDeps,
  input: StdinMessage,
  answers: Answers,
  /** A daemon took the embedded database between submit.ts's look and this open. */
  handToDaemon: () => Promise<number>,
): Promise<number> {
  const { config } = deps;
  const { accepted, refuse, later } = answers;
  let handle: DatabaseHandle;
  try {
    handle = await openDatabase(config.database, { migrate: true });
  } catch (error) {
    if (error instanceof ProblemError && error.problem.code === 'E_DATABASE_LOCKED')
      return await handToDaemon();
    const p = error instanceof ProblemError ? error.problem : null;
    return later(p ?? { code: 'E_DATABASE_UNAVAILABLE', message: (error as Error).message });
  }

  let queue: SubmissionQueue | undefined;
  try {
    const embeddedRedisDown =
      config.redis.kind === 'embedded' && !(await pingRedisSocket(config.redis.socketPath));
    const message = { raw: input.raw, head: input.head, envelope: input.envelope, via: 'stdin' as const };
    if (embeddedRedisDown) {
      const stored = await storeSubmission(handle.db, message, {
        maxBytes: config.limits.maxMessageBytes,
        dryRunAddresses: config.dryRunAddresses,
      });
      if (!stored.ok) return isTemporary(stored.error) ? later(stored.error) : refuse(stored.error);
      return accepted(stored.value.id, 'stored; hostmasterd queues it when it starts');
    }
    queue = new SubmissionQueue(config.redis, { timeoutMs: 5_000 });
    try {
      await queue.ready();
    } catch (error) {
      return later({
        code: 'E_QUEUE_UNAVAILABLE',
        message: `the job queue (${queue.where}) is unreachable: ${(error as Error).message}`,
      });
    }
    const result = await acceptMessage(
      {
        db: handle.db,
        queue,
        maxBytes: config.limits.maxMessageBytes,
        dryRunAddresses: config.dryRunAddresses,
      },
      message,
    );
    if (!result.ok) return isTemporary(result.error) ? later(result.error) : refuse(result.error);
    return accepted(
      result.value.id,
      result.value.duplicate ? 'already received earlier; not stored again' : '',
    );
  } catch (error) {
    return later({ code: 'E_SUBMIT', message: (error as Error).message });
  } finally {
    await queue?.close();
    await handle.close().catch(() => {});
  }
}
