/**
 * The public HTTP listener behind a proxy (PUBLIC_TRUST_PROXY): the query limit counts each
 * client the trusted proxy names in X-Forwarded-For, not the proxy's one address for everyone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../support/stack.ts';

const LIMIT = 3;

describe('the public role behind a trusted proxy', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      backend: 'pglite',
      env: { PUBLIC_TRUST_PROXY: '127.0.0.1', PUBLIC_QUERIES_PER_MINUTE: String(LIMIT) },
    });
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
  });

  const ask = (client: string) =>
    fetch(`http://127.0.0.1:${stack.daemon.rdapPort}/rdap/ip/198.51.100.1`, {
      headers: { 'x-forwarded-for': client },
    }).then((r) => r.status);

  it('counts each client the proxy names, so one client over its limit does not stop the others', async () => {
    // The limit counts per minute; a run that crosses a minute's end starts again in the next.
    for (let attempt = 0; attempt < 3; attempt++) {
      const minute = Math.floor(Date.now() / 60_000);
      const tag = 10 + attempt * 20;
      const others = await Promise.all(
        Array.from({ length: LIMIT * 2 }, (_, i) => ask(`203.0.113.${tag + i}`)),
      );
      const one: number[] = [];
      for (let i = 0; i <= LIMIT; i++) one.push(await ask(`198.51.100.${tag}`));
      if (Math.floor(Date.now() / 60_000) !== minute) continue;
      expect(others).toEqual(Array(LIMIT * 2).fill(200));
      expect(one.slice(0, LIMIT)).toEqual(Array(LIMIT).fill(200));
      expect(one[LIMIT]).toBe(429);
      // One client's refusal: no cache may keep it for the others.
      const refused = await fetch(`http://127.0.0.1:${stack.daemon.rdapPort}/rdap/ip/198.51.100.1`, {
        headers: { 'x-forwarded-for': `198.51.100.${tag}` },
      });
      if (Math.floor(Date.now() / 60_000) !== minute) continue;
      expect(refused.status).toBe(429);
      expect(refused.headers.get('cache-control')).toBe('no-store');
      return;
    }
    throw new Error('three runs in a row crossed a minute boundary');
  });
});
