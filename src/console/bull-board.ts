/** Queue health: bull-board's dashboard of the submissions queue, mounted behind the console's sign-in. */
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { hideKeys } from './key-hiding.ts';

/** Every string inside a job's data or result, with keys hidden as on the console's own pages. */
export function withKeysHidden(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return hideKeys(value).text;
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => withKeysHidden(item, depth + 1));
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([key, inner]) => [
      key,
      withKeysHidden(inner, depth + 1),
    ]),
  );
}

/**
 * The queue as bull-board shows it: read-only, for every staff member. Its buttons (add, retry,
 * clean, empty, obliterate, pause, edit data) would act on the queue outside the console's
 * actions: a job added there could name any staff member and waive any rule. Job data can hold
 * what staff typed (an edited template with its key line, a note): shown with keys hidden, like
 * every other page of the console.
 */
export function dashboardAdapter(queue: Queue): BullMQAdapter {
  const adapter = new BullMQAdapter(queue, { readOnlyMode: true });
  adapter.setFormatter('data', (data: unknown) => withKeysHidden(data));
  adapter.setFormatter('returnValue', (value: unknown) => withKeysHidden(value));
  return adapter;
}

/**
 * Whether a request to the dashboard could change something. Read-only mode hides the buttons
 * and bull-board refuses most such calls itself; the console refuses every one before bull-board
 * sees it, so a route a later bull-board adds is closed too.
 */
export function changesTheQueue(method: string): boolean {
  return method !== 'GET' && method !== 'HEAD';
}

export async function mountBullBoard(app: FastifyInstance, queue: Queue, basePath: string): Promise<void> {
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(basePath);
  createBullBoard({
    queues: [dashboardAdapter(queue)],
    serverAdapter,
    // bull-board is a page of its own: its menu leads back to the console.
    options: {
      uiConfig: {
        boardTitle: 'hostmasterd queues',
        miscLinks: [{ text: 'Back to the staff console', url: '/rejections' }],
      },
    },
  });
  await app.register(serverAdapter.registerPlugin(), { prefix: basePath });
}
