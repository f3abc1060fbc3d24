/**
 * RDAP questions for classes this registry does not serve (autnum, domain, nameserver and their
 * searches) are answered 501 with an RFC 9083 error object, and counted on /metrics as the
 * asker's (`bad_query`), never as `error`: an operator alerting on public errors is paged by
 * what failed here (the database away), not by anyone's RDAP client or a bootstrap crawler.
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
});
