/**
 * bull-board (the console's /queues) shows what a job carries. A staff edit's template text or
 * note can hold an API key: the dashboard shows it hidden, as every other console page does,
 * while the job in Redis keeps what the worker needs.
 */
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardAdapter } from '../../src/console/bull-board.ts';
import { type RedisServer, startRedis } from '../support/redis-server.ts';

const KEY = 'API-1111-2222-3333-4444';

describe('the queue dashboard', () => {
  let redis: RedisServer;
  let queue: Queue;
  beforeAll(async () => {
    redis = await startRedis();
    queue = new Queue('dashboard-test', { connection: { url: redis.url } });
  });
  afterAll(async () => {
    await queue?.close();
    await redis?.stop();
  });

  it('shows job data and results with keys hidden, in any form, however deep', async () => {
    const data = {
      kind: 'edit',
      submissionId: 'S1',
      edits: [{ templateIndex: 1, text: `Template: ARIN-POC-5.1\n00. API Key: ${KEY}\n` }],
      note: `customer sent API=2D1111=2D2222=2D3333=2D4444 by mistake`,
      count: 3,
    };
    const job = await queue.add('staff', data);
    const adapter = dashboardAdapter(queue);
    const stored = await adapter.getJob(job.id!);
    const shown = adapter.format('data', stored!.data);
    expect(JSON.stringify(shown)).not.toMatch(/1111.?2222/);
    expect(shown).toMatchObject({ kind: 'edit', submissionId: 'S1', count: 3 });
    expect(JSON.stringify(shown)).toContain('API-****-****-****-4444');
    expect(JSON.stringify(adapter.format('returnValue', { echoed: KEY }))).not.toContain('1111');
    // Redis keeps the job as it was: the worker reads it, not the dashboard.
    expect((await queue.getJob(job.id!))!.data).toEqual(data);
  });
});
