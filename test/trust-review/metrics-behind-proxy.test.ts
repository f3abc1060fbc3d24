/**
 * Re-review of /metrics (issue 14, item 13): "loopback clients only" must mean the client, not
 * the last hop. docs/operations.md puts the console behind a reverse proxy, often on the same
 * machine (CONSOLE_TRUST_PROXY=127.0.0.1): every request it relays comes from 127.0.0.1, so
 * /metrics was open to whoever could reach the proxy. Here a relay on loopback forwards requests
 * as nginx does (adding X-Forwarded-For); a scraper on the machine itself still reads /metrics.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics, type OpsServer, startOpsServer } from '../../src/observability/index.ts';

/** A reverse proxy on loopback: relays every request to `target`, naming the client as nginx does. */
async function startRelay(target: number): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const upstream = http.request(
      {
        host: '127.0.0.1',
        port: target,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https' },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('trust review: /metrics through a reverse proxy on the same machine', () => {
  let ops: OpsServer;
  let relay: { port: number; close(): Promise<void> };
  beforeAll(async () => {
    ops = await startOpsServer({
      host: '127.0.0.1',
      port: 0,
      metrics: createMetrics({ processMetrics: false }),
      checks: [],
      roles: ['console'],
    });
    relay = await startRelay(ops.port);
  });
  afterAll(async () => {
    await relay?.close();
    await ops?.close();
  });

  it('refuses a scrape relayed for a client elsewhere; a scraper on the machine still reads it', async () => {
    const relayed = await fetch(`http://127.0.0.1:${relay.port}/metrics`);
    const body = await relayed.text();
    expect(relayed.status).toBe(403);
    expect(body).toMatch(/^E_NOT_AUTHORIZED: /);
    expect(body).not.toContain('hostmasterd_');

    const forwarded = await fetch(`http://127.0.0.1:${ops.port}/metrics`, {
      headers: { Forwarded: 'for=203.0.113.9' },
    });
    expect(forwarded.status).toBe(403);

    const local = await fetch(`http://127.0.0.1:${ops.port}/metrics`);
    expect(local.status).toBe(200);
    expect(await local.text()).toContain('hostmasterd_templates_total');
    // /healthz stays open to probes through the proxy.
    expect((await fetch(`http://127.0.0.1:${relay.port}/healthz`)).status).toBe(200);
  });
});
