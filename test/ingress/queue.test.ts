/**
 * The submissions queue on a real redis-server: one job per submission however often it is
 * added, retries with backoff for transient failures, failed jobs kept for staff, and calls that
 * give up in seconds (instead of hanging) while Redis is away.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type JobMeta,
  type SubmissionJob,
  SubmissionQueue,
  startSubmissionWorker,
} from '../../src/queue/index.ts';
import { type RedisServer, startRedis } from '../support/redis-server.ts';

async function until(check: () => Promise<boolean> | boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('submission queue', () => {
  let redis: RedisServer;
  let queue: SubmissionQueue;

  beforeAll(async () => {
    redis = await startRedis();
    queue = new SubmissionQueue(
      { kind: 'url', url: redis.url },
      { timeoutMs: 1_000, backoffMs: 50, attempts: 3 },
    );
  });
  afterAll(async () => {
    await queue?.close();
    await redis?.stop();
  });

  it('keeps one job per submission however often it is added', async () => {
    const job: SubmissionJob = { kind: 'process', submissionId: 'S0000000000ONCEONLY' };
    const first = await queue.enqueue(job);
    const second = await queue.enqueue(job);
    expect(first).toEqual({ ok: true, value: { jobId: 'S0000000000ONCEONLY' } });
    expect(second.ok).toBe(true);
    expect(await queue.hasJob('S0000000000ONCEONLY')).toBe(true);
    expect((await queue.counts())['waiting']).toBe(1);
    await queue.queue.obliterate({ force: true });
  });

  it('runs each job, retries a failing one with backoff, and keeps it for staff when it keeps failing', async () => {
    const seen: Array<{ job: SubmissionJob; meta: JobMeta }> = [];
    const worker = startSubmissionWorker(
      { kind: 'url', url: redis.url },
      async (job, meta) => {
        seen.push({ job, meta });
        if (job.kind === 'process' && job.submissionId.endsWith('FLAKY') && meta.attemptsMade === 0) {
          throw new Error('database hiccup');
        }
        if (job.kind === 'process' && job.submissionId.endsWith('BROKEN')) throw new Error('always fails');
      },
      { concurrency: 2 },
    );
    try {
      await queue.enqueue({ kind: 'process', submissionId: 'S0000000000FLAKY' });
      await queue.enqueue({ kind: 'process', submissionId: 'S0000000000BROKEN' });
      const reprocess: SubmissionJob = {
        kind: 'reprocess',
        submissionId: 'S0000000000FLAKY',
        templateIndexes: [2],
        staff: 'staff@rir.example',
        note: 'org fixed',
        // The queue carries it as given; only the worker checks it (test/worker/forged-staff-jobs.test.ts).
        proof: '0'.repeat(64),
      };
      expect(await queue.enqueue(reprocess, { nonce: 'n1' })).toEqual({
        ok: true,
        value: { jobId: 'S0000000000FLAKY.reprocess.all.n1' },
      });
      await until(async () => {
        const counts = await queue.counts();
        return counts['completed'] === 2 && counts['failed'] === 1;
      });
      const flaky = seen.filter((s) => s.meta.jobId === 'S0000000000FLAKY').map((s) => s.meta.attemptsMade);
      expect(flaky).toEqual([0, 1]);
      expect(seen.filter((s) => s.meta.jobId === 'S0000000000BROKEN')).toHaveLength(3);
      const failed = await queue.queue.getJob('S0000000000BROKEN');
      expect(failed?.failedReason).toBe('always fails');
      expect(seen.find((s) => s.job.kind === 'reprocess')?.job).toEqual(reprocess);

      // The sweeper's batch calls agree with the one-job ones. Adding many leaves a job that
      // exists as it is (FLAKY stays completed) and adds the new one (waiting for its delay).
      await queue.enqueue({ kind: 'process', submissionId: 'S0000000000LATER' }, { delayMs: 600_000 });
      const added = await queue.enqueueAll([
        { kind: 'process', submissionId: 'S0000000000FLAKY' },
        { kind: 'process', submissionId: 'S0000000000ADDED' },
      ]);
      expect(added).toEqual({ ok: true, value: { jobIds: ['S0000000000FLAKY', 'S0000000000ADDED'] } });
      const ids = ['S0000000000FLAKY', 'S0000000000BROKEN', 'S0000000000LATER', 'S0000000000NEVER'];
      const one = await Promise.all(ids.map((id) => queue.jobOutcome(id)));
      expect(one).toEqual(['completed', 'failed', 'unfinished', 'missing']);
      expect([...(await queue.jobOutcomes(ids)).values()]).toEqual(one);
      expect(await queue.hasJob('S0000000000ADDED')).toBe(true);
    } finally {
      await worker.close();
      await queue.queue.obliterate({ force: true });
    }
  });

  it('says the queue is unreachable within its timeout while Redis is down, and works again after', async () => {
    await redis.pause();
    try {
      const started = Date.now();
      const result = await queue.enqueue({ kind: 'process', submissionId: 'S0000000000OUTAGE' });
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error.code).toBe('E_QUEUE_UNAVAILABLE');
      expect(Date.now() - started).toBeLessThan(3_000);
      await expect(queue.hasJob('S0000000000OUTAGE')).rejects.toThrow();
    } finally {
      await redis.resume();
    }
    await until(async () => (await queue.enqueue({ kind: 'process', submissionId: 'S0000000000OUTAGE' })).ok);
    expect(await queue.hasJob('S0000000000OUTAGE')).toBe(true);
  });

  it('closes a worker promptly even when Redis is gone', async () => {
    const worker = startSubmissionWorker({ kind: 'url', url: redis.url }, async () => {}, {
      concurrency: 1,
      closeTimeoutMs: 500,
    });
    await new Promise((r) => setTimeout(r, 200));
    await redis.pause();
    try {
      const started = Date.now();
      await worker.close();
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await redis.resume();
    }
  });
});
