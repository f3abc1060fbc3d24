/**
 * The public HTTP listener behind a proxy (PUBLIC_TRUST_PROXY): the query limit counts each
 * client the trusted proxy names in X-Forwarded-For, not the proxy's one address for everyone;
 * and each network (IPv4 /24, IPv6 /48) as a whole, so that one holder cannot ask from each of
 * its addresses as from so many clients.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NETWORK_SHARE } from '../../src/public/query-limit.ts';
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

  it("counts a network's clients together too: an IPv6 /48's many /64s, an IPv4 /24's addresses", async () => {
    const networkLimit = LIMIT * NETWORK_SHARE;
    for (let attempt = 0; attempt < 3; attempt++) {
      const minute = Math.floor(Date.now() / 60_000);
      // Each /64 (each a client of its own) asks once: within its own limit every time.
      const v6 = `2001:db8:${attempt + 1}`;
      const fromV6: number[] = [];
      for (let i = 0; i <= networkLimit; i++) fromV6.push(await ask(`${v6}:${i.toString(16)}::1`));
      const v4 = `192.0.${attempt + 10}`;
      const fromV4: number[] = [];
      for (let i = 1; i <= networkLimit + 1; i++) fromV4.push(await ask(`${v4}.${i}`));
      const refused = await fetch(`http://127.0.0.1:${stack.daemon.rdapPort}/rdap/ip/198.51.100.1`, {
        headers: { 'x-forwarded-for': `${v6}:ffff::1` },
      });
      // Another network is not held by them.
      const otherV6 = await ask(`2001:db8:${attempt + 100}::1`);
      const otherV4 = await ask(`192.0.${attempt + 20}.1`);
      if (Math.floor(Date.now() / 60_000) !== minute) continue;
      expect(fromV6).toEqual([...Array(networkLimit).fill(200), 429]);
      expect(fromV4).toEqual([...Array(networkLimit).fill(200), 429]);
      expect(refused.status).toBe(429);
      expect(((await refused.json()) as { description: string[] }).description[0]).toMatch(
        new RegExp(
          `^E_QUERY_RATE: more than ${networkLimit} queries a minute from your network \\(${v6}::/48\\)`,
        ),
      );
      expect([otherV6, otherV4]).toEqual([200, 200]);
      return;
    }
    throw new Error('three runs in a row crossed a minute boundary');
  });

  it('counts a client the proxy names with its port (203.0.113.50:1001, as some load balancers write it) as that address', async () => {
    for (let attempt = 0; attempt < 3; attempt++) {
      const minute = Math.floor(Date.now() / 60_000);
      const statuses: number[] = [];
      for (let port = 1; port <= LIMIT + 1; port++)
        statuses.push(await ask(`203.0.113.${60 + attempt}:${port}`));
      const v6: number[] = [];
      for (let port = 1; port <= LIMIT + 1; port++) v6.push(await ask(`[2001:db8:77:${attempt}::1]:${port}`));
      if (Math.floor(Date.now() / 60_000) !== minute) continue;
      expect(statuses).toEqual([...Array(LIMIT).fill(200), 429]);
      expect(v6).toEqual([...Array(LIMIT).fill(200), 429]);
      return;
    }
    throw new Error('three runs in a row crossed a minute boundary');
  });
});
