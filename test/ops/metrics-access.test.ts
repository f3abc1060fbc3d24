/**
 * Who may read /metrics: by default only a loopback peer (the console port may be reachable from
 * further, and /metrics tells traffic, refusal reasons and queue depth); with METRICS_TOKEN,
 * whoever presents it as a bearer token. Served over real TCP on 0.0.0.0 and reached through
 * this machine's own non-loopback address, so the peer address is what the server sees.
 */
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import { createMetrics, type OpsServer, startOpsServer } from '../../src/observability/index.ts';

const TOKEN = 'metrics-token-0123456789abcdef';

/** An address of this machine that is not loopback, so a connection to it is not from loopback either. */
function outsideAddress(): string | undefined {
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}

const OUTSIDE = outsideAddress();

async function scrape(host: string, port: number, headers: Record<string, string> = {}) {
  const res = await fetch(`http://${host}:${port}/metrics`, { headers });
  return { status: res.status, body: await res.text(), authenticate: res.headers.get('www-authenticate') };
}

async function serve(metricsToken?: string): Promise<OpsServer> {
  return startOpsServer({
    host: '0.0.0.0',
    port: 0,
    metrics: createMetrics({ processMetrics: false }),
    checks: [],
    roles: ['worker'],
    ...(metricsToken === undefined ? {} : { metricsToken }),
  });
}

describe.skipIf(OUTSIDE === undefined)(`/metrics access over TCP (outside address ${OUTSIDE})`, () => {
  let open: OpsServer;
  let guarded: OpsServer;
  beforeAll(async () => {
    [open, guarded] = await Promise.all([serve(), serve(TOKEN)]);
  });
  afterAll(async () => {
    await Promise.all([open?.close(), guarded?.close()]);
  });

  it('without METRICS_TOKEN: loopback reads it, anyone else is refused with a sentence naming the option', async () => {
    const local = await scrape('127.0.0.1', open.port);
    expect(local.status).toBe(200);
    expect(local.body).toContain('hostmasterd_templates_total');
    const outside = await scrape(OUTSIDE!, open.port);
    expect(outside.status).toBe(403);
    expect(outside.body).toMatch(/^E_NOT_AUTHORIZED: .*METRICS_TOKEN/);
    expect(outside.body).not.toContain('hostmasterd_');
    // A forwarded-for header is the client's word, not its address.
    const spoofed = await scrape(OUTSIDE!, open.port, { 'X-Forwarded-For': '127.0.0.1' });
    expect(spoofed.status).toBe(403);
    // The probes stay open: they tell nothing.
    const health = await fetch(`http://${OUTSIDE}:${open.port}/healthz`);
    expect(health.status).toBe(200);
  });

  it('with METRICS_TOKEN: the bearer token from anywhere, nothing without it (loopback included)', async () => {
    const bearer = { Authorization: `Bearer ${TOKEN}` };
    expect((await scrape(OUTSIDE!, guarded.port, bearer)).status).toBe(200);
    expect((await scrape('127.0.0.1', guarded.port, bearer)).status).toBe(200);
    const wrong = await scrape(OUTSIDE!, guarded.port, { Authorization: `Bearer ${TOKEN}x` });
    expect(wrong.status).toBe(401);
    expect(wrong.authenticate).toMatch(/^Bearer/);
    expect((await scrape('127.0.0.1', guarded.port)).status).toBe(401);
  });
});

describe('METRICS_TOKEN', () => {
  it('is read from the environment, and a short one stops start-up naming the variable', () => {
    expect(loadConfig({ METRICS_TOKEN: TOKEN }).console.metricsToken).toBe(TOKEN);
    expect(loadConfig({}).console.metricsToken).toBeUndefined();
    expect(() => loadConfig({ METRICS_TOKEN: 'secret' })).toThrow(/METRICS_TOKEN/);
  });
});
