/**
 * RDAP questions for classes this registry does not serve (autnum, domain, nameserver and their
 * searches) are answered 501 with an RFC 9083 error object, and counted on /metrics as the
 * asker's (`bad_query`), never as `error`: an operator alerting on public errors is paged by
 * what failed here (the database away), not by anyone's RDAP client or a bootstrap crawler.
 * A method RDAP does not answer (a POST) is 405 with `Allow:`, not a 404.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Metrics } from '../ops/support/ops-http.ts';
import { type Stack, startStack } from '../support/stack.ts';

const NAME = 'hostmasterd_public_queries_total';
const RDAP_OTHER = { protocol: 'rdap', kind: 'other' } as const;

describe('RDAP classes not served here', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ backend: 'pglite' });
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
  });

  it('answers 501 and counts it as bad_query, not error', async () => {
    const before = await Metrics.scrape(stack.daemon.opsPort);
    const paths = [
      '/rdap/autnum/64500',
      '/rdap/domain/example.com',
      '/rdap/nameserver/ns1.example.com',
      '/rdap/domains?name=example*',
    ];
    for (const path of paths) {
      const response = await fetch(`http://127.0.0.1:${stack.daemon.rdapPort}${path}`);
      expect(response.status, path).toBe(501);
      expect(await response.json()).toMatchObject({ errorCode: 501 });
    }
    const after = await Metrics.scrape(stack.daemon.opsPort);
    const grew = (outcome: string) =>
      after.value(NAME, { ...RDAP_OTHER, outcome }) - before.value(NAME, { ...RDAP_OTHER, outcome });
    expect(grew('bad_query')).toBe(paths.length);
    expect(grew('error')).toBe(0);
  });
  it('answers a POST, PUT or DELETE 405 with the methods it allows (RFC 7480), an unknown GET 404', async () => {
    const base = `http://127.0.0.1:${stack.daemon.rdapPort}`;
    for (const [method, path] of [
      ['POST', '/rdap/ip/198.51.100.1'],
      ['PUT', '/rdap/entity/DEMOISP-1'],
      ['DELETE', '/rdap/help'],
      ['POST', '/rdap/no-such-thing'],
    ] as const) {
      const response = await fetch(`${base}${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      expect(response.status, `${method} ${path}`).toBe(405);
      expect(response.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
      expect(response.headers.get('content-type')).toContain('application/rdap+json');
      expect(await response.json()).toMatchObject({ errorCode: 405, title: 'Method Not Allowed' });
    }
    const unknown = await fetch(`${base}/rdap/no-such-thing`);
    expect(unknown.status).toBe(404);
    // Still answered as before: a GET of what is served.
    expect((await fetch(`${base}/rdap/help`)).status).toBe(200);
  });
});
