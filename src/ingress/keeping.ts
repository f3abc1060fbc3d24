/**
 * What keeps every stored submission queued, run by every ingress and every worker process (one
 * per process, whatever its roles): the sweeper, and on PostgreSQL the listener for `submit`'s
 * notifications. `submit` on PostgreSQL commits the row and a NOTIFY and loads no queue, so a
 * worker-only deployment (mail only through an MTA pipe) must add the jobs itself, and a message
 * stored while no daemon ran is queued by the first process to start.
 *
 * The start-up sweep runs once the listener listens, in the background (the process serves
 * meanwhile: a backlog of 50,000 held the start 13-26 s when it waited), and takes every
 * unhandled submission without a job, however young and however many (batch after batch): what
 * was stored before this process listened sent its notification to nobody. The same catch-up
 * sweep runs each time the listener is back after a loss (PostgreSQL restarted, its backend
 * terminated) and when a notified job could not be added (Redis down); a catch-up that failed is
 * tried again (1 s doubling to 30 s) until one succeeds, so such a message is queued within
 * seconds of Redis's return instead of at a periodic sweep past its grace. An add that fails while
 * that retry waits leaves it to the retry: during an outage each incoming message would otherwise
 * read a batch again in every process. Several processes doing all of this at once is safe: a
 * job's id is its submission's id, so a second add changes nothing.
 */
import type { Logger } from 'pino';
import type { Executor } from '../db/index.ts';
import type { SubmissionQueue } from '../queue/index.ts';
import { silentLogger } from '../shared/index.ts';
import { type SubmissionListener, startSubmissionListener } from './submission-listener.ts';
import { type Sweeper, type SweepResult, startSweeper } from './sweeper.ts';

export interface SubmissionKeepingDeps {
  readonly db: Executor;
  readonly queue: SubmissionQueue;
  /** The PostgreSQL database `submit` notifies on; absent on the embedded database (no listener). */
  readonly databaseUrl?: string;
  readonly logger?: Logger;
  /** Between periodic sweeps (default 60 s). */
  readonly sweepIntervalMs?: number;
  /** Periodic sweeps leave younger submissions alone (default 30 s): the ingress is adding their job. */
  readonly graceMs?: number;
  /** The listener's wait before connecting again after a loss (default 1 s, doubling to 30 s). */
  readonly listenerRetryMs?: number;
  /** Submissions read per statement (default 1000); a periodic sweep reads one batch, a catch-up all. */
  readonly batchSize?: number;
}

export interface SubmissionKeeping {
  readonly sweeper: Sweeper;
  /**
   * Settles once a start-up catch-up got through every batch (after as many tries as it takes),
   * or once stopped first; never rejects. startSubmissionKeeping does not wait for it.
   */
  readonly caughtUp: Promise<void>;
  /** Ends a running catch-up after the batch in hand and drops any waiting or to be tried again. */
  stop(): Promise<void>;
}

/** The first wait before a failed catch-up sweep is tried again, doubling up to the last. */
const CATCH_UP_RETRY_MS = 1_000;
const CATCH_UP_RETRY_MAX_MS = 30_000;

export async function startSubmissionKeeping(deps: SubmissionKeepingDeps): Promise<SubmissionKeeping> {
  const logger = deps.logger ?? silentLogger();
  let sweeper: Sweeper | undefined;
  let listener: SubmissionListener | undefined;
  let stopped = false;
  let retryTimer: NodeJS.Timeout | undefined;
  let retryMs = CATCH_UP_RETRY_MS;
  let reported: Promise<SweepResult> | undefined;
  let settleCaughtUp = () => {};
  const caughtUp = new Promise<void>((resolve) => {
    settleCaughtUp = resolve;
  });
  /**
   * Sweeps every unhandled submission without a job now, and again later until a sweep succeeds;
   * resolves after the first try.
   */
  const catchUp = async (): Promise<void> => {
    if (stopped || !sweeper) return;
    clearTimeout(retryTimer);
    retryTimer = undefined;
    const began = Date.now();
    const sweep = sweeper.sweep('catch-up');
    await sweep.then(
      (result) => {
        retryMs = CATCH_UP_RETRY_MS;
        // Asked for again while it ran, the running catch-up answered: one line for it.
        if (result.stopped || sweep === reported) return;
        reported = sweep;
        logger.info(
          {
            checked: result.checked,
            requeued: result.requeued.length,
            givenUp: result.givenUp.length,
            rerun: result.rerun.length,
            ms: Date.now() - began,
          },
          'catch-up sweep done',
        );
        settleCaughtUp();
      },
      (error: Error) => {
        if (stopped || retryTimer) return;
        logger.warn({ err: error.message, retryMs }, 'catch-up sweep failed; trying again');
        retryTimer = setTimeout(() => void catchUp(), retryMs);
        retryTimer.unref();
        retryMs = Math.min(retryMs * 2, CATCH_UP_RETRY_MAX_MS);
      },
    );
  };
  if (deps.databaseUrl !== undefined) {
    listener = await startSubmissionListener({
      url: deps.databaseUrl,
      queue: deps.queue,
      logger,
      ...(deps.listenerRetryMs === undefined ? {} : { retryMs: deps.listenerRetryMs }),
      // The first time (no sweeper yet), the start-up sweep below follows.
      onListening: () => void catchUp(),
      // A catch-up waiting to be tried again will take this one too.
      onNotQueued: () => {
        if (!retryTimer) void catchUp();
      },
    });
  }
  try {
    sweeper = await startSweeper({
      db: deps.db,
      queue: deps.queue,
      logger,
      startupSweep: false,
      ...(deps.sweepIntervalMs === undefined ? {} : { intervalMs: deps.sweepIntervalMs }),
      ...(deps.graceMs === undefined ? {} : { graceMs: deps.graceMs }),
      ...(deps.batchSize === undefined ? {} : { batchSize: deps.batchSize }),
    });
  } catch (error) {
    await listener?.stop();
    throw error;
  }
  // What was stored before this process listened (while no daemon ran) is queued now, while the
  // process already serves: new mail is not held behind a backlog, nor is a stop.
  void catchUp();
  const started = sweeper;
  return {
    sweeper: started,
    caughtUp,
    async stop() {
      stopped = true;
      clearTimeout(retryTimer);
      await Promise.all([listener?.stop(), started.stop()]);
      settleCaughtUp();
    },
  };
}
