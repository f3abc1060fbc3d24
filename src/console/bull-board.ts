/** Queue health: bull-board's dashboard of the submissions queue, mounted behind the console's sign-in. */
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';

export async function mountBullBoard(app: FastifyInstance, queue: Queue, basePath: string): Promise<void> {
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(basePath);
  createBullBoard({
    queues: [new BullMQAdapter(queue)],
    serverAdapter,
    options: { uiConfig: { boardTitle: 'hostmasterd queues' } },
  });
  await app.register(serverAdapter.registerPlugin(), { prefix: basePath });
}
