/**
 * A file's whole daemon (console-stack.ts) with a staff member signed in: started before the
 * file's tests, stopped after them. `the.stack` and `the.client` are set once they run.
 */
import { afterAll, beforeAll, expect } from 'vitest';
import { type ConsoleStack, STAFF_EMAIL, STAFF_PASSWORD, startConsoleStack } from './console-stack.ts';
import { ConsoleClient } from './http-client.ts';
import { insertDemoBigAllocation } from './rows.ts';

export interface SignedInConsole {
  readonly stack: ConsoleStack;
  readonly client: ConsoleClient;
}

/** `bigAllocation`: the demo ISP also holds a large allocation to carve held /20s from. */
export function signedInConsole(options: { readonly bigAllocation?: boolean } = {}): SignedInConsole {
  const the = {} as { stack: ConsoleStack; client: ConsoleClient };
  beforeAll(async () => {
    the.stack = await startConsoleStack();
    if (options.bigAllocation) await insertDemoBigAllocation(the.stack.db);
    the.client = new ConsoleClient(the.stack.baseUrl);
    expect((await the.client.signIn(STAFF_EMAIL, STAFF_PASSWORD)).status).toBe(303);
  }, 120_000);
  afterAll(async () => {
    await the.stack?.stop();
  });
  return the;
}
