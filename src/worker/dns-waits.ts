/**
 * Worker slots that wait on DNS. A sender check answered from the shared cache (or by fast name
 * servers) costs nothing; one that would wait is allowed to while fewer than `limit` of the
 * process's jobs already wait, so a slot is always left for jobs that need no DNS (a keyed
 * message). Past that, a queue job is put off (DeferJob): its check goes on in the background
 * and fills the cache, and when the job comes back after `deferMs` its answer is there.
 */
import { DeferJob } from '../queue/index.ts';

/** A check that settles this fast was answered from the cache or by fast DNS: no reason to defer it. */
const QUICK_MS = 25;

export class DnsWaits {
  private waiting = 0;

  constructor(
    /** Jobs of this process that may wait on DNS at once (WORKER_CONCURRENCY - 1, at least 1). */
    private readonly limit: number,
    /** How long a put-off job stays away: the DNS budget and a little more. */
    private readonly deferMs: number,
  ) {}

  /** Waits for the check, counted among the slots waiting on DNS. */
  async wait<T>(check: Promise<T>): Promise<T> {
    this.waiting++;
    try {
      return await check;
    } finally {
      this.waiting--;
    }
  }

  /** As wait, but throws DeferJob instead when the check is slow and enough slots wait already. */
  async waitOrDefer<T>(check: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const quick = await Promise.race([
      check.then(
        () => true,
        () => true,
      ),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), QUICK_MS);
      }),
    ]);
    clearTimeout(timer);
    if (quick || this.waiting < this.limit) return this.wait(check);
    // The check goes on without us and fills the shared DNS cache for the job's next run.
    check.catch(() => {});
    throw new DeferJob(
      this.deferMs,
      `the sender check waits on DNS while ${this.waiting} other messages of this worker do`,
    );
  }
}
