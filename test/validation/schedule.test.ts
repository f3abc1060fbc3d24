/**
 * The daily round in the worker role: every worker process upserts the same BullMQ job scheduler,
 * and its day's job is taken by one of them, so two workers run one round, not two. Real Redis.
 */

import { Queue, QueueEvents } from 'bullmq';
import { count, sql } from 'drizzle-orm';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import { tables } from '../../src/db/index.ts';
import { DEMO_SEED, seedRegistry, validateSeed } from '../../src/registry/index.ts';
import { silentLogger } from '../../src/shared/index.ts';
import {
  startValidationSchedule,
  VALIDATION_QUEUE,
  type ValidationSchedule,
} from '../../src/validation/index.ts';
import { openTestDatabase, type TestDatabase } from '../support/databases.ts';
import { type RedisServer, startRedis } from '../support/redis-server.ts';

describe('the daily validation round', () => {
  let redis: RedisServer;
  let database: TestDatabase;
  const schedules: ValidationSchedule[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    database = await openTestDatabase('pglite');
    const doc = validateSeed(DEMO_SEED);
    if (!doc.ok) throw new Error('demo seed');
    await seedRegistry(database.db, doc.value);
    // Loaded two years ago: both demo POCs are due today.
    await database.db.update(tables.pocs).set({ createdAt: sql`now() - interval '730 days'` });
  }, 120_000);
  afterAll(async () => {
    for (const s of schedules) await s.close();
    await database?.close();
    await redis?.stop();
  });

  it('two worker processes make one schedule, and its job runs one round', async () => {
    const config = loadConfig({
      REDIS_URL: redis.url,
      VALIDATION_RUN_AT: '03:00',
      VALIDATION_MAILS_PER_HOUR: '3600000',
    });
    const location = { kind: 'url' as const, url: redis.url };
    for (let i = 0; i < 2; i++) {
      schedules.push(
        await startValidationSchedule(location, { db: database.db, config, logger: silentLogger() }),
      );
    }
    await Promise.all(schedules.map((s) => s.scheduled));
    const queue = new Queue(VALIDATION_QUEUE, { connection: { url: redis.url } });
    const events = new QueueEvents(VALIDATION_QUEUE, { connection: { url: redis.url } });
    try {
      const schedulers = await queue.getJobSchedulers();
      expect(schedulers.map((s) => s.pattern)).toEqual(['0 3 * * *']);
      const delayed = await queue.getDelayed();
      expect(delayed).toHaveLength(1);
      // Today's 03:00 UTC is not waited for: the day's job is promoted, as the clock would.
      await events.waitUntilReady();
      const done = new Promise<unknown>((resolve) =>
        events.on('completed', ({ returnvalue }) => resolve(returnvalue)),
      );
      await delayed[0]!.promote();
      const returned = await done;
      const result = (typeof returned === 'string' ? JSON.parse(returned) : returned) as { mailed: number };
      expect(result.mailed).toBe(2);
      // However many workers: one job a day, one row per POC.
      await new Promise((r) => setTimeout(r, 1_000));
      const [rows] = await database.db.select({ n: count() }).from(tables.pocValidations);
      expect(rows?.n).toBe(2);
      expect((await queue.getDelayed()).length).toBe(1);
      expect(await queue.getCompletedCount()).toBe(1);
    } finally {
      await events.close();
      await queue.close();
    }
  }, 120_000);

  it('VALIDATION_RUN_AT=off takes the schedule away', async () => {
    const config = loadConfig({ REDIS_URL: redis.url, VALIDATION_RUN_AT: 'off' });
    schedules.push(
      await startValidationSchedule(
        { kind: 'url', url: redis.url },
        { db: database.db, config, logger: silentLogger() },
      ),
    );
    await schedules[schedules.length - 1]!.scheduled;
    const queue = new Queue(VALIDATION_QUEUE, { connection: { url: redis.url } });
    try {
      expect(await queue.getJobSchedulers()).toEqual([]);
    } finally {
      await queue.close();
    }
  }, 60_000);

  it('Redis losing its data: the schedule is set again, and the day whose time passed gets its round', async () => {
    // Its own Redis and database: the flush must not touch the other tests' schedules.
    const own = await startRedis();
    const db = await openTestDatabase('pglite');
    const doc = validateSeed(DEMO_SEED);
    if (!doc.ok) throw new Error('demo seed');
    await seedRegistry(db.db, doc.value);
    await db.db.update(tables.pocs).set({ createdAt: sql`now() - interval '730 days'` });
    // 00:00 UTC has always passed today: the lost day's round is due.
    const config = loadConfig({
      REDIS_URL: own.url,
      VALIDATION_RUN_AT: '00:00',
      VALIDATION_MAILS_PER_HOUR: '3600000',
    });
    const schedule = await startValidationSchedule(
      { kind: 'url', url: own.url },
      { db: db.db, config, logger: silentLogger() },
      { checkEveryMs: 300 },
    );
    const queue = new Queue(VALIDATION_QUEUE, { connection: { url: own.url } });
    const client = new Redis(own.url);
    try {
      await schedule.scheduled;
      expect((await queue.getJobSchedulers()).map((s) => s.pattern)).toEqual(['0 0 * * *']);
      await client.flushall();
      expect(await queue.getJobSchedulers()).toEqual([]);
      const deadline = Date.now() + 60_000;
      let rows = 0;
      while (Date.now() < deadline) {
        rows = (await db.db.select({ n: count() }).from(tables.pocValidations))[0]?.n ?? 0;
        if (rows === 2 && (await queue.getJobSchedulers()).length === 1) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      expect((await queue.getJobSchedulers()).map((s) => s.pattern)).toEqual(['0 0 * * *']);
      expect(rows).toBe(2);
    } finally {
      client.disconnect();
      await queue.close();
      await schedule.close();
      await db.close();
      await own.stop();
    }
  }, 120_000);
});
