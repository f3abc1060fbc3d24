/**
 * Repairs the half-done states a submission can be left in. At start-up and then periodically,
 * for every submission still `received` or `processing`:
 * - its job is missing (Redis failed between the ingress's commit and its add, lost its last
 *   second of writes, or the job was removed): the job is added again; the job id is the
 *   submission id, so adding one that exists is harmless;
 * - its job failed for good and nothing recorded it (the worker died as the job failed, or the
 *   database was down for the last try and for the worker's 'failed' event): a `give-up` job is
 *   queued, and the worker puts the message in the rejection queue as E_PROCESSING_FAILED and
 *   tells the sender. A give-up job that itself failed for good is run again;
 * - its job completed, yet the submission is still unhandled and was never processed once that is
 *   known: the worker's transaction committed without waiting for the disk
 *   (src/db/durable-later.ts) and a crash undid it before a later commit flushed it. The job is
 *   run again. (A message staff reprocess is set back to `received` after it was processed, and
 *   its staff job runs it: its old job is not run beside it.)
 */
import { and, asc, inArray, isNull, lt, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { type Executor, tables } from '../db/index.ts';
import { type GiveUpJob, jobIdFor, type SubmissionJob, type SubmissionQueue } from '../queue/index.ts';
import { silentLogger } from '../shared/index.ts';

export interface SweeperDeps {
  readonly db: Executor;
  readonly queue: SubmissionQueue;
  /** Between sweeps (default 60 s). */
  readonly intervalMs?: number;
  /** Submissions younger than this are left alone: the ingress is still adding their job (default 30 s). */
  readonly graceMs?: number;
  /**
   * Whether startSweeper sweeps before it resolves (default true). startSubmissionKeeping runs its
   * own start-up sweep, with no grace and tried again until it succeeds (keeping.ts).
   */
  readonly startupSweep?: boolean;
  /** Most submissions looked at per sweep (default 1000). */
  readonly batchSize?: number;
  readonly logger?: Logger;
}

export interface SweepResult {
  readonly checked: number;
  readonly requeued: readonly string[];
  /** Submissions whose failed job was handed to the worker to give up on. */
  readonly givenUp: readonly string[];
  /** Submissions whose job completed but whose outcome a crash undid: their job runs again. */
  readonly rerun: readonly string[];
  /** The sweep ended early because its sweeper stopped (what it looked at so far is above). */
  readonly stopped: boolean;
}

/** A periodic sweep: the grace, one batch. A catch-up: no grace, every batch. */
export type SweepKind = 'periodic' | 'catch-up';

export interface Sweeper {
  /**
   * Runs one sweep now (the start-up one has already run when startSweeper resolves): by default
   * the periodic one (the sweeper's grace, one batch). A catch-up sweep (no grace, every batch)
   * asked for while a periodic one runs runs after it; asked for while a catch-up runs, the
   * running one answers it: if it had already read its last batch when asked, it reads on from
   * there (what was committed since, behind the notification that asked). Once stopped, a sweep
   * asked for or waiting does not run.
   */
  sweep(kind?: SweepKind): Promise<SweepResult>;
  /** Ends a running sweep after the batch in hand, drops a waiting one; resolves once none runs. */
  stop(): Promise<void>;
}

/** Counts the catch-ups asked of a running one: each statement covers the asks made before it. */
export interface CatchUpAsks {
  readonly count: number;
}

export interface SweepOptions {
  /** Submissions younger than this are left alone (default the deps' graceMs, 30 s). */
  readonly graceMs?: number;
  /**
   * Go on past the first batch until every unhandled submission was looked at. A periodic sweep
   * stops at one batch (its oldest); a catch-up sweep must also reach a pile `submit` stored while
   * no daemon ran, whose first batch stays unhandled, with jobs, until the workers get through it.
   */
  readonly everyBatch?: boolean;
  /** Read between batches: once aborted, the sweep ends with what it did so far. */
  readonly signal?: AbortSignal;
  /** A catch-up asked for after the last batch was read reads on from there. */
  readonly asks?: CatchUpAsks;
}

/**
 * A batch's last row, where the next batch starts. Its time is UTC text to the microsecond made by
 * the database (a Date would cut it to the millisecond and read rows again), in ISO 8601 form,
 * which PostgreSQL reads back alike whatever the session's DateStyle and TimeZone: the plain
 * `::text` of a timestamptz follows them, and 'SQL, DMY' in Europe/Dublin gives '01/07/2026
 * 13:00:00 IST', read back as Israel's time, so the catch-up skipped rows or never ended.
 */
interface Cursor {
  readonly at: string;
  readonly id: string;
}

const UTC_MICROSECONDS = 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"';

export async function sweepOnce(deps: SweeperDeps, options: SweepOptions = {}): Promise<SweepResult> {
  const { submissions } = tables;
  const graceMs = options.graceMs ?? deps.graceMs ?? 30_000;
  const batchSize = deps.batchSize ?? 1_000;
  const unhandled = inArray(submissions.state, ['received', 'processing']);
  const young = graceMs > 0 ? lt(submissions.receivedAt, new Date(Date.now() - graceMs)) : undefined;
  const requeued: string[] = [];
  const givenUp: string[] = [];
  const rerun: string[] = [];
  let checked = 0;
  let after: Cursor | undefined;
  let previousBatch = new Set<string>();
  const stopped = () => options.signal?.aborted === true;
  while (!stopped()) {
    const asksBefore = options.asks?.count;
    const rows: Cursor[] = await deps.db
      .select({
        id: submissions.id,
        at: sql<string>`to_char(${submissions.receivedAt} at time zone 'UTC', ${UTC_MICROSECONDS})`,
      })
      .from(submissions)
      .where(
        and(
          unhandled,
          young,
          after
            ? sql`(${submissions.receivedAt}, ${submissions.id}) > (${after.at}::timestamptz, ${after.id})`
            : undefined,
        ),
      )
      .orderBy(asc(submissions.receivedAt), asc(submissions.id))
      .limit(batchSize);
    const ids = rows.map((row) => row.id);
    checkMovesOn(rows, after, previousBatch);
    previousBatch = new Set(ids);
    const outcomes = await deps.queue.jobOutcomes(ids);
    const missing = ids.filter((id) => outcomes.get(id) === 'missing');
    await addAll(
      deps.queue,
      missing.map((submissionId) => ({ kind: 'process', submissionId })),
    );
    requeued.push(...missing);
    for (const id of ids) {
      if (outcomes.get(id) === 'failed' && (await handOnFailure(deps.queue, id))) givenUp.push(id);
    }
    const completed = ids.filter((id) => outcomes.get(id) === 'completed');
    for (const id of await neverProcessed(deps.db, completed)) {
      if (await deps.queue.runCompletedAgain(id)) rerun.push(id);
    }
    checked += rows.length;
    after = rows.at(-1) ?? after;
    if (!options.everyBatch) break;
    // The last batch: done, unless a catch-up was asked for after it was read.
    if (rows.length < batchSize && asksBefore === options.asks?.count) break;
  }
  return { checked, requeued, givenUp, rerun, stopped: stopped() };
}

/**
 * Of submissions whose job completed, those still unhandled and never processed now: read after
 * the job's outcome, so that a job that completed between the batch's read and Redis's answer is
 * not taken for lost.
 */
async function neverProcessed(db: Executor, ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const { submissions } = tables;
  const rows = await db
    .select({ id: submissions.id })
    .from(submissions)
    .where(
      and(
        inArray(submissions.id, [...ids]),
        inArray(submissions.state, ['received', 'processing']),
        isNull(submissions.processedAt),
      ),
    );
  return rows.map((row) => row.id);
}

/**
 * A cursor that does not move on would read the same rows for ever: better to fail loudly. The
 * times are fixed-width UTC text, so they compare as strings; ids only for being the same.
 */
function checkMovesOn(
  rows: readonly Cursor[],
  after: Cursor | undefined,
  previousBatch: ReadonlySet<string>,
) {
  const again = rows.find((row) => previousBatch.has(row.id) || (after !== undefined && row.at < after.at));
  if (again !== undefined) {
    throw new Error(
      `the sweep read submission ${again.id} (received ${again.at}) again after ${after?.at}: its batches do not move on; it stopped`,
    );
  }
}

async function addAll(queue: SubmissionQueue, jobs: readonly SubmissionJob[]): Promise<void> {
  const added = await queue.enqueueAll(jobs);
  if (!added.ok) throw new Error(added.error.message);
}

async function add(queue: SubmissionQueue, job: SubmissionJob): Promise<void> {
  const added = await queue.enqueue(job);
  if (!added.ok) throw new Error(added.error.message);
}

/**
 * The job of a submission still unhandled has failed for good: queue its give-up, or run a
 * give-up that failed (the database still down) again. The worker gives up only if nothing
 * recorded the failure meanwhile (see src/worker/gave-up.ts), so this may hand it on freely.
 */
async function handOnFailure(queue: SubmissionQueue, submissionId: string): Promise<boolean> {
  const failure = await queue.failure(submissionId);
  if (!failure) return false;
  const giveUp: GiveUpJob = { kind: 'give-up', submissionId, ...failure };
  const giveUpOutcome = await queue.jobOutcome(jobIdFor(giveUp));
  if (giveUpOutcome === 'missing') {
    await add(queue, giveUp);
    return true;
  }
  if (giveUpOutcome === 'failed') return queue.retryFailed(jobIdFor(giveUp));
  return false;
}

/** How many of a sweep's submissions a log line names: the count says how many there were. */
const LOGGED_SAMPLE = 5;

export async function startSweeper(deps: SweeperDeps): Promise<Sweeper> {
  const logger = deps.logger ?? silentLogger();
  const report = (result: SweepResult) => {
    if (result.requeued.length > 0) {
      logger.warn(
        { count: result.requeued.length, sample: result.requeued.slice(0, LOGGED_SAMPLE) },
        'sweeper re-queued submissions whose job was missing',
      );
    }
    if (result.rerun.length > 0) {
      logger.warn(
        { count: result.rerun.length, sample: result.rerun.slice(0, LOGGED_SAMPLE) },
        'sweeper ran again submissions whose job completed but whose outcome a crash undid',
      );
    }
    if (result.givenUp.length > 0) {
      logger.warn(
        { count: result.givenUp.length, sample: result.givenUp.slice(0, LOGGED_SAMPLE) },
        'sweeper handed on submissions whose job failed with no outcome recorded, to be given up',
      );
    }
    return result;
  };
  const stopping = new AbortController();
  // One sweep at a time. A catch-up asked for while a periodic one runs may concern a row the
  // periodic one never reads (younger than its grace, past its one batch), so it runs after it (at
  // most one waits: it covers all asks). Asked for while a catch-up runs, that one answers it.
  let running:
    | { readonly kind: SweepKind; readonly done: Promise<SweepResult>; readonly asks: { count: number } }
    | undefined;
  let waiting: Promise<SweepResult> | undefined;
  const begin = (kind: SweepKind): Promise<SweepResult> => {
    if (stopping.signal.aborted) {
      return Promise.resolve({ checked: 0, requeued: [], givenUp: [], rerun: [], stopped: true });
    }
    const asks = { count: 0 };
    const options: SweepOptions =
      kind === 'catch-up'
        ? { graceMs: 0, everyBatch: true, signal: stopping.signal, asks }
        : { signal: stopping.signal };
    const done: Promise<SweepResult> = sweepOnce(deps, options)
      .then(report)
      .finally(() => {
        if (running?.done === done) running = undefined;
      });
    running = { kind, done, asks };
    return done;
  };
  const sweep = (kind: SweepKind = 'periodic'): Promise<SweepResult> => {
    if (waiting) return waiting;
    if (!running) return begin(kind);
    if (kind === 'periodic') return running.done;
    if (running.kind === 'catch-up') {
      running.asks.count += 1;
      return running.done;
    }
    const next = running.done
      .catch(() => undefined)
      .then(() => {
        waiting = undefined;
        return begin('catch-up');
      });
    waiting = next;
    return next;
  };
  // At start-up a failure is only logged: Redis or the database may come up a moment later.
  if (deps.startupSweep !== false) {
    await sweep().catch((error: Error) => logger.warn({ err: error.message }, 'start-up sweep failed'));
  }
  const timer = setInterval(() => {
    sweep().catch((error: Error) => logger.warn({ err: error.message }, 'sweep failed; will try again'));
  }, deps.intervalMs ?? 60_000);
  timer.unref();
  return {
    sweep,
    stop: async () => {
      clearInterval(timer);
      stopping.abort();
      await waiting?.catch(() => {});
      await running?.done.catch(() => {});
    },
  };
}
