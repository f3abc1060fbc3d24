/**
 * Re-review of bull-board's write endpoints (issue 14, item 7): the console refuses every
 * queue-changing call before bull-board sees it, so a route a later bull-board adds without its
 * own read-only check stays closed. The router decodes the path, so `/%71ueues/api/...` (and any
 * other percent-encoded spelling) reaches bull-board's routes as `/queues/api/...` does: the gate
 * must see it too. Over HTTP to a running console, signed in as staff.
 */
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUBMISSIONS_QUEUE } from '../../src/queue/index.ts';
import {
  type ConsoleStack,
  STAFF_EMAIL,
  STAFF_PASSWORD,
  startConsoleStack,
} from '../console/support/console-stack.ts';
import { ConsoleClient } from '../console/support/http-client.ts';

let stack: ConsoleStack;
let bullQueue: Queue;

beforeAll(async () => {
  stack = await startConsoleStack();
  if (stack.config.redis.kind !== 'url') throw new Error('the console stack runs on a Redis URL');
  bullQueue = new Queue(SUBMISSIONS_QUEUE, { connection: { url: stack.config.redis.url } });
}, 120_000);

afterAll(async () => {
  await bullQueue?.close();
  await stack?.stop();
});

describe('trust review: the read-only gate sees bull-board however its path is spelled', () => {
  it('refuses queue-changing calls on percent-encoded paths with E_READ_ONLY; the queue stays as it was', async () => {
    const client = new ConsoleClient(stack.baseUrl);
    expect((await client.signIn(STAFF_EMAIL, STAFF_PASSWORD)).status).toBe(303);
    const before = await bullQueue.getJobCounts();
    const calls: [string, string][] = [
      ['PUT', '/%71ueues/api/queues/pause'],
      ['PUT', `/%71ueues/api/queues/${SUBMISSIONS_QUEUE}/pause`],
      ['PUT', `/queue%73/api/queues/${SUBMISSIONS_QUEUE}/obliterate`],
      ['POST', `/%71%75%65%75%65%73/api/queues/${SUBMISSIONS_QUEUE}/add`],
      ['PUT', `/%71ueues/api/queues/${SUBMISSIONS_QUEUE}/clean/completed`],
    ];
    for (const [method, path] of calls) {
      const response = await client.request(method, path, { json: { name: 'x', data: {}, options: {} } });
      expect({ method, path, status: response.status }).toEqual({ method, path, status: 405 });
      expect(response.body).toContain('E_READ_ONLY');
    }
    expect(await bullQueue.isPaused()).toBe(false);
    expect(await bullQueue.getJobCounts()).toEqual(before);
    expect((await client.get('/queues/api/queues')).status).toBe(200);
  });
});
