/**
 * Redis calls can wait forever while the server is gone (BullMQ's `queue.add()` and
 * `worker.close()` both can: ioredis holds a command until it reconnects). Every call on a path that answers a customer is raced against a timer.
 */
export class TimeoutError extends Error {
  constructor(what: string, ms: number) {
    super(`${what} did not finish within ${ms} ms`);
    this.name = 'TimeoutError';
  }
}

export async function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(what, ms)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
    // The loser may still settle later; its rejection must not become an unhandled one.
    work.catch(() => {});
  }
}
