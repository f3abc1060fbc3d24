/**
 * A console on a loopback port with real parts behind it: a PostgreSQL database (cloned from the
 * migrated template), a real redis-server, the real SubmissionQueue and a BullMQ worker (running
 * the stand-in staff-job processor until src/worker lands).
 */
import { type Config, loadConfig } from '../../../src/config/index.ts';
import {
  consoleQueueFrom,
  createStaffUser,
  type LockoutPolicy,
  startConsole,
} from '../../../src/console/index.ts';
import { SubmissionQueue, type SubmissionWorker, startSubmissionWorker } from '../../../src/queue/index.ts';
import { openTestDatabase, type TestDatabase } from '../../support/databases.ts';
import { type RedisServer, startRedis } from '../../support/redis-server.ts';
import { standInStaffJobs } from './stand-in-worker.ts';

export const STAFF_EMAIL = 'alice@registry.example';
export const STAFF_PASSWORD = 'correct horse battery';

export interface ConsoleStack {
  readonly baseUrl: string;
  readonly db: TestDatabase;
  readonly config: Config;
  stop(): Promise<void>;
}

export async function startConsoleStack(
  options: { lockout?: LockoutPolicy; withQueue?: boolean } = {},
): Promise<ConsoleStack> {
  const db = await openTestDatabase('postgres');
  const config: Config = {
    ...loadConfig({ DATABASE_URL: db.target.kind === 'postgres' ? db.target.url : undefined }),
    console: { host: '127.0.0.1', port: 0 },
  };
  const created = await createStaffUser(db.db, STAFF_EMAIL, STAFF_PASSWORD, { oneTime: false });
  if (!created.ok) throw new Error(created.error.message);

  let redis: RedisServer | undefined;
  let queue: SubmissionQueue | undefined;
  let worker: SubmissionWorker | undefined;
  if (options.withQueue !== false) {
    redis = await startRedis();
    const location = { kind: 'socket', socketPath: redis.socketPath } as const;
    queue = new SubmissionQueue(location, { attempts: 1 });
    worker = startSubmissionWorker(location, standInStaffJobs(db.db), {
      concurrency: 2,
      closeTimeoutMs: 2_000,
    });
  }
  const running = await startConsole({
    config,
    db: db.db,
    ...(queue ? { queue: consoleQueueFrom(queue) } : {}),
    jobTimeoutMs: 15_000,
    ...(options.lockout ? { lockout: options.lockout } : {}),
  });
  return {
    baseUrl: `http://127.0.0.1:${running.port}`,
    db,
    config,
    stop: async () => {
      await running.close();
      await worker?.close();
      await queue?.close();
      await redis?.stop();
      await db.close();
    },
  };
}
