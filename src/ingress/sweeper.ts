/**
 * Repairs the one half-done state the ingress can leave: a submission committed to the
 * database whose job never reached Redis (Redis failed between the two, or Redis lost its last
 * second of writes). At start-up and then periodically it re-adds the job of every submission
 * still `received` (or `processing`) that has no job in Redis; the job id is the submission id,
 * so adding one that exists is harmless.
 */
import { and, asc, inArray, lt } from 'drizzle-orm';
import pino, { type Logger } from 'pino';
import { type Executor, tables } from '../db/index.ts';
import type { SubmissionQueue } from '../queue/index.ts';

export interface SweeperDeps {
  readonly db: Executor;
  readonly queue: SubmissionQueue;
  /** Between sweeps (default 60 s). */
  readonly intervalMs?: number;
  /** Submissions younger than this are left alone: the ingress is still adding their job (default 30 s). */
  readonly graceMs?: number;
  /** Most submissions looked at per sweep (default 1000). */
  readonly batchSize?: number;
  readonly logger?: Logger;
}

export interface SweepResult {
  readonly checked: number;
  readonly requeued: readonly string[];
}

export interface Sweeper {
  /** Runs one sweep now (the start-up one has already run when startSweeper resolves). */
  sweep(): Promise<SweepResult>;
  stop(): Promise<void>;
}

export async function sweepOnce(deps: SweeperDeps): Promise<SweepResult> {
  const { submissions } = tables;
  const graceMs = deps.graceMs ?? 30_000;
  const unhandled = inArray(submissions.state, ['received', 'processing']);
  const rows = await deps.db
    .select({ id: submissions.id })
    .from(submissions)
    .where(
      graceMs > 0 ? and(unhandled, lt(submissions.receivedAt, new Date(Date.now() - graceMs))) : unhandled,
    )
    .orderBy(asc(submissions.receivedAt))
    .limit(deps.batchSize ?? 1_000);
  const requeued: string[] = [];
  for (const { id } of rows) {
    if (await deps.queue.hasJob(id)) continue;
    const added = await deps.queue.enqueue({ kind: 'process', submissionId: id });
    if (!added.ok) throw new Error(added.error.message);
    requeued.push(id);
  }
  return { checked: rows.length, requeued };
}

export async function startSweeper(deps: SweeperDeps): Promise<Sweeper> {
  const logger = deps.logger ?? pino({ level: 'silent' });
  let running: Promise<SweepResult> | undefined;
  const sweep = () => {
    running ??= sweepOnce(deps)
      .then((result) => {
        if (result.requeued.length > 0) {
          logger.warn(
            { submissions: result.requeued },
            'sweeper re-queued submissions whose job was missing',
          );
        }
        return result;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  // At start-up a failure is only logged: Redis or the database may come up a moment later.
  await sweep().catch((error: Error) => logger.warn({ err: error.message }, 'start-up sweep failed'));
  const timer = setInterval(() => {
    sweep().catch((error: Error) => logger.warn({ err: error.message }, 'sweep failed; will try again'));
  }, deps.intervalMs ?? 60_000);
  timer.unref();
  return {
    sweep,
    stop: async () => {
      clearInterval(timer);
      await running?.catch(() => {});
    },
  };
}
