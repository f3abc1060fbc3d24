/**
 * The daemon's half of `submit` on PostgreSQL (src/commands/submit-postgres.ts): one connection
 * under SUBMISSION_LISTENER_NAME listening on SUBMISSION_CHANNEL, adding the job of each
 * submission a `submit` committed (job id = submission id: a second add, by another listening
 * process or a sweeper, is harmless). Every ingress and every worker process runs one
 * (keeping.ts). A notification that finds Redis down is made good by the sweeper (a stored
 * submission without a job past its grace gets one); the connection is made again after a loss,
 * and `onListening` tells the caller each time it listens, so what was committed meanwhile (its
 * notifications went to nobody) can be swept at once.
 */
import type { Client } from 'pg';
import type { Logger } from 'pino';
import type { SubmissionQueue } from '../queue/index.ts';
import {
  lazyPackage,
  SUBMISSION_CHANNEL,
  SUBMISSION_ID_PATTERN,
  SUBMISSION_LISTENER_NAME,
  silentLogger,
} from '../shared/index.ts';

const pg = lazyPackage<typeof import('pg')>('pg');

export interface SubmissionListenerDeps {
  readonly url: string;
  readonly queue: SubmissionQueue;
  readonly logger?: Logger;
  /** Wait before connecting again after a loss (default 1 s, doubling to 30 s). */
  readonly retryMs?: number;
  /** Called each time the connection listens: at the start and after every reconnection. */
  readonly onListening?: () => void;
  /** Called when a notified submission's job could not be added (Redis down): a sweep must add it. */
  readonly onNotQueued?: (submissionId: string) => void;
}

export interface SubmissionListener {
  stop(): Promise<void>;
}

/** Resolves once listening (or once the first try failed: it keeps trying in the background). */
export async function startSubmissionListener(deps: SubmissionListenerDeps): Promise<SubmissionListener> {
  const logger = deps.logger ?? silentLogger();
  const firstRetry = deps.retryMs ?? 1_000;
  let retry = firstRetry;
  let stopped = false;
  let client: Client | undefined;
  let timer: NodeJS.Timeout | undefined;

  const queueJob = async (payload: string | undefined) => {
    if (!payload || !SUBMISSION_ID_PATTERN.test(payload)) return;
    const queued = await deps.queue.enqueue({ kind: 'process', submissionId: payload });
    if (!queued.ok) {
      logger.warn(
        { submissionId: payload, error: queued.error },
        'submitted message not queued; the sweeper will',
      );
      deps.onNotQueued?.(payload);
    }
  };

  const connect = async (): Promise<void> => {
    if (stopped) return;
    const next: Client = new (pg().Client)({
      connectionString: deps.url,
      application_name: SUBMISSION_LISTENER_NAME,
      connectionTimeoutMillis: 5_000,
    });
    let lost = false;
    const again = (error?: Error) => {
      if (lost) return;
      lost = true;
      next.removeAllListeners('notification');
      next.end().catch(() => {});
      if (client === next) client = undefined;
      if (stopped) return;
      if (error) logger.warn({ err: error }, 'submission listener lost its connection; connecting again');
      timer = setTimeout(() => void connect(), retry);
      retry = Math.min(retry * 2, 30_000);
    };
    next.on('error', again);
    next.on('end', () => again());
    next.on('notification', (n) => {
      if (n.channel === SUBMISSION_CHANNEL) void queueJob(n.payload);
    });
    try {
      await next.connect();
      await next.query(`listen ${SUBMISSION_CHANNEL}`);
      client = next;
      retry = firstRetry;
      if (stopped) await next.end().catch(() => {});
      else deps.onListening?.();
    } catch (error) {
      again(error as Error);
    }
  };

  await connect();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      const current = client;
      client = undefined;
      await current?.end().catch(() => {});
    },
  };
}
