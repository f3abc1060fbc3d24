/**
 * `submit` on the embedded defaults (PGlite, private Redis), where only one process may open the
 * database: while the daemon runs, the message is handed to its SMTP ingress; while it does not,
 * it is committed to the database and the next start-up sweep queues it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT_ACCEPTED } from '../../src/commands/submit.ts';
import { openDatabase, tables } from '../../src/db/index.ts';
import { sweepOnce } from '../../src/ingress/index.ts';
import { SubmissionQueue, startEmbeddedRedis } from '../../src/queue/index.ts';
import { submissionId } from '../pipeline/support/processes.ts';
import { type RedisServer, startRedis } from '../support/redis-server.ts';
import { runSubmit, startEmbeddedIngress, templateMail } from './helpers.ts';

describe('submit on the embedded defaults', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hm-submit-'));
  let redis: RedisServer | undefined;
  afterAll(async () => {
    await redis?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('hands the message to the running daemon, or stores it for the next start when none runs', async () => {
    // The daemon: it holds the embedded database and listens for SMTP.
    redis = await startRedis();
    const daemon = await startEmbeddedIngress(dataDir, redis.url);
    const config = daemon.config;
    let handedOver: string;
    try {
      const run = await runSubmit(config, templateMail({ messageId: '<while-running@isp.example>' }));
      expect(run).toMatchObject({ code: EXIT_ACCEPTED, stderr: '' });
      handedOver = submissionId(run.stdout);
      expect(await daemon.queue.hasJob(handedOver)).toBe(true);
    } finally {
      await daemon.close();
    }

    // No daemon: the message is committed; the embedded Redis is not running, so no job yet.
    const run = await runSubmit(config, templateMail({ messageId: '<while-stopped@isp.example>' }));
    expect(run.code).toBe(EXIT_ACCEPTED);
    expect(run.stderr).toMatch(/queues it when it starts/);
    const stored = submissionId(run.stdout);

    // The next start: embedded Redis, then the start-up sweep queues it.
    if (config.redis.kind !== 'embedded') throw new Error('expected the embedded Redis');
    const embedded = await startEmbeddedRedis(config.redis);
    const db = await openDatabase(config.database, { migrate: false });
    const queue = new SubmissionQueue(embedded);
    try {
      const rows = await db.db
        .select({ id: tables.submissions.id, via: tables.submissions.via })
        .from(tables.submissions)
        .where(eq(tables.submissions.id, stored));
      expect(rows).toEqual([{ id: stored, via: 'stdin' }]);
      const swept = await sweepOnce({ db: db.db, queue, graceMs: 0 });
      expect(swept.requeued).toContain(stored);
      // (The handed-over one is swept too: its job lived in the daemon's Redis, not this one.)
      expect(swept.requeued).toContain(handedOver);
    } finally {
      await queue.close();
      await db.close();
      await embedded.stop();
    }
  });
});
