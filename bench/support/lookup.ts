/**
 * The lookup scenario: `hostmasterd start --role public` on PostgreSQL with a registry of
 * 100,000 nets (20,000 orgs with a /24 each, two detailed and two simple reassignments in every
 * one), asked by many clients at once for random addresses in them, RDAP over keep-alive HTTP
 * and WHOIS one TCP connection per query as RFC 3912 has it. Beside it, the ceiling: the same
 * kind of server (fastify, node:net) in a process of its own answering a constant, the bytes of
 * a real answer. The ratio is what the lookups themselves cost.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { type RoleProcess, spawnRole } from '../../test/ops/support/processes.ts';
import { runCommand } from '../../test/pipeline/support/processes.ts';
import { freePort } from '../../test/support/postgres-server.ts';
import { spawnBenchServer } from './baselines.ts';
import { type CpuGroup, countCpu, postmasterPid, withChildren } from './cpu.ts';
import type { BenchPostgres } from './postgres.ts';
import { type Latency, latency, round } from './stats.ts';

export interface LookupSettings {
  /** Nets in the registry (a multiple of 5: an allocation and four reassignments per org). */
  readonly nets: number;
  /** Seconds each protocol is measured for, after a warm-up. */
  readonly seconds: number;
  /** Queries in flight at once. */
  readonly concurrency: number;
}

export interface LookupRate {
  readonly queriesPerSecond: number;
  readonly errors: number;
  /** What the first failed query said, if one did. */
  readonly firstError?: string;
  readonly latency: Latency;
  /** CPU ms per query: the server's process, and this process (the clients). */
  readonly cpuMsPerQuery: Readonly<Record<string, number>>;
}

export interface LookupResult {
  readonly settings: LookupSettings;
  readonly loadSeconds: number;
  readonly rdap: { readonly public: LookupRate; readonly constant: LookupRate; readonly ratio: number };
  readonly whois: { readonly public: LookupRate; readonly constant: LookupRate; readonly ratio: number };
}

export interface LookupContext {
  readonly postgres: BenchPostgres;
  readonly redisUrl: string;
  readonly log: (line: string) => void;
}

const ORG_SPAN = 256;

/** A random address inside one of the orgs' /24s (10.0.0.0 upwards). */
function randomAddress(orgs: number): string {
  const n = 167_772_160 + Math.floor(Math.random() * orgs) * ORG_SPAN + Math.floor(Math.random() * ORG_SPAN);
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

async function loadRegistry(url: string, orgs: number): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`
      insert into orgs (handle, name, street, city, postal_code, country)
        select 'LOOKUP' || i || '-1', 'Lookup Networks ' || i, array[i || ' Bench Street'], 'Springfield', '22150', 'US'
        from generate_series(1, ${orgs}) i;
      insert into pocs (handle, kind, last_name, first_name, city, country, emails, phones)
        select 'LOOK' || i || '-ARIN', 'person', 'Operator' || i, 'Bench', 'Springfield', 'US',
               array['noc' || i || '@lookup.example'], '[{"number":"+1-555-0100","kind":"office"}]'::jsonb
        from generate_series(1, ${orgs}) i;
      insert into org_pocs (org_handle, poc_handle, role)
        select 'LOOKUP' || i || '-1', 'LOOK' || i || '-ARIN', r
        from generate_series(1, ${orgs}) i, unnest(array['admin', 'tech', 'abuse']) r;
      insert into customers (handle, parent_org_handle, name, street, city, country, private_residence)
        select 'C' || (10000000 + i * 2 + k), 'LOOKUP' || i || '-1', 'Customer ' || i || '-' || k,
               array['1 Customer Way'], 'Springfield', 'US', k = 1
        from generate_series(1, ${orgs}) i, generate_series(0, 1) k;
      insert into nets (handle, name, version, start_address, end_address, cidrs, type, org_handle, origin_as)
        select 'NET-LOOKUP-' || i, 'LOOKUP-' || i, 4, 167772160 + i0 * 256, 167772160 + i0 * 256 + 255,
               array[host(inet '10.0.0.0' + i0 * 256) || '/24'], 'direct_allocation', 'LOOKUP' || i || '-1', array[64500]
        from generate_series(1, ${orgs}) i, lateral (select i - 1 as i0) z;
      insert into nets (handle, name, version, start_address, end_address, type, parent_handle, org_handle)
        select 'NET-LOOKUP-' || i || '-D' || k, 'LOOKUP-D-' || i || '-' || k, 4,
               167772160 + (i - 1) * 256 + k * 64, 167772160 + (i - 1) * 256 + k * 64 + 63,
               'detailed_reassignment', 'NET-LOOKUP-' || i, 'LOOKUP' || i || '-1'
        from generate_series(1, ${orgs}) i, generate_series(0, 1) k;
      insert into nets (handle, name, version, start_address, end_address, type, parent_handle, customer_handle)
        select 'NET-LOOKUP-' || i || '-S' || k, 'LOOKUP-S-' || i || '-' || k, 4,
               167772160 + (i - 1) * 256 + 128 + k * 64, 167772160 + (i - 1) * 256 + 128 + k * 64 + 63,
               'simple_reassignment', 'NET-LOOKUP-' || i, 'C' || (10000000 + i * 2 + k)
        from generate_series(1, ${orgs}) i, generate_series(0, 1) k;
      analyze;
    `);
  } finally {
    await client.end();
  }
}

/** Runs `ask` with `concurrency` callers for `seconds`; every answer must pass `check`. */
async function measure(
  seconds: number,
  concurrency: number,
  ask: () => Promise<string>,
  check: (answer: string) => boolean,
  serverPid: () => number | undefined,
  more: readonly CpuGroup[] = [],
): Promise<LookupRate> {
  const warmUntil = performance.now() + 1_000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < warmUntil) await ask().catch(() => '');
    }),
  );
  const cpu = countCpu([
    { name: 'server', pids: withChildren(serverPid) },
    ...more,
    { name: 'bench', pids: () => [process.pid] },
  ]);
  const times: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const start = performance.now();
  const until = start + seconds * 1_000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < until) {
        const sent = performance.now();
        try {
          const answer = await ask();
          if (check(answer)) times.push(performance.now() - sent);
          else {
            errors++;
            firstError ??= answer.slice(0, 300);
          }
        } catch (error) {
          errors++;
          firstError ??= String(error);
        }
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1_000;
  const cpuMsPerQuery = cpu.stop(Math.max(1, times.length));
  return {
    queriesPerSecond: round(times.length / elapsed),
    errors,
    ...(firstError === undefined ? {} : { firstError }),
    latency: latency(times),
    cpuMsPerQuery,
  };
}

function whoisQuery(port: number, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = net.connect({ host: '127.0.0.1', port }, () => socket.write(`${line}\r\n`));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.on('error', reject);
  });
}

async function rdapQuery(port: number, address: string): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/rdap/ip/${address}`);
  const text = await response.text();
  if (response.status !== 200) throw new Error(`RDAP ${response.status}`);
  return text;
}

export async function runLookupScenario(settings: LookupSettings, ctx: LookupContext): Promise<LookupResult> {
  const orgs = Math.max(1, Math.floor(settings.nets / 5));
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hostmasterd-bench-lookup-'));
  const url = await ctx.postgres.createDatabase('bench_lookup');
  const env = { DATABASE_URL: url, REDIS_URL: ctx.redisUrl, DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
  const stops: Array<() => Promise<unknown>> = [];
  try {
    ctx.log(`  lookup: loading the demo registry and ${orgs * 5} nets`);
    const loadStart = performance.now();
    const demo = await runCommand(['demo'], env, undefined, 120_000);
    if (demo.code !== 0) throw new Error(`hostmasterd demo: ${demo.stderr}`);
    await loadRegistry(url, orgs);
    const loadSeconds = round((performance.now() - loadStart) / 1_000);

    const [whoisPort, rdapPort] = [await freePort(), await freePort()];
    const role: RoleProcess = spawnRole({
      roles: ['public'],
      env: {
        ...env,
        CONSOLE_PORT: String(await freePort()),
        WHOIS_PORT: String(whoisPort),
        RDAP_PORT: String(rdapPort),
        // The bench is one client asking as fast as it can: no per-client limit in its way.
        PUBLIC_QUERIES_PER_MINUTE: '1000000000',
      },
      quiet: true,
    });
    stops.push(() => role.stop());
    await role.ready(60_000);

    // The constants are real answers: same bytes on the wire as a typical lookup.
    const sampleAddress = randomAddress(orgs);
    const rdapSample = await rdapQuery(rdapPort, sampleAddress);
    const whoisSample = await whoisQuery(whoisPort, `n + ${sampleAddress}`);
    if (!/NET-LOOKUP-/.test(rdapSample) || !/NET-LOOKUP-/.test(whoisSample)) {
      throw new Error(`the public role did not find ${sampleAddress}`);
    }
    const rdapFile = path.join(dataDir, 'rdap.json');
    const whoisFile = path.join(dataDir, 'whois.txt');
    fs.writeFileSync(rdapFile, rdapSample);
    fs.writeFileSync(whoisFile, whoisSample);
    const constantRdap = await spawnBenchServer('bench/support/constant-lookup.ts', ['rdap', rdapFile]);
    stops.push(async () => constantRdap.child.kill('SIGTERM'));
    const constantWhois = await spawnBenchServer('bench/support/constant-lookup.ts', ['whois', whoisFile]);
    stops.push(async () => constantWhois.child.kill('SIGTERM'));

    const found = (answer: string) => answer.includes('NET-LOOKUP-');
    const { seconds, concurrency } = settings;
    // One client may hold 10 WHOIS connections at once (src/public/whois-server.ts); the bench is one client.
    // (8: a connection's close reaches the server a moment after the client saw it.)
    const whoisConcurrency = Math.min(concurrency, 8);
    const postgresCpu: CpuGroup[] = [
      { name: 'postgres', pids: withChildren(() => postmasterPid(ctx.postgres.dataDir)) },
    ];
    ctx.log(`  lookup: RDAP, the public role (${sampleAddress} is ${rdapSample.length} bytes)`);
    const rdapPublic = await measure(
      seconds,
      concurrency,
      () => rdapQuery(rdapPort, randomAddress(orgs)),
      found,
      () => role.child.pid,
      postgresCpu,
    );
    ctx.log('  lookup: RDAP, the constant');
    const rdapConstant = await measure(
      seconds,
      concurrency,
      () => rdapQuery(constantRdap.port, randomAddress(orgs)),
      found,
      () => constantRdap.child.pid,
    );
    ctx.log(`  lookup: WHOIS, the public role (n + ..., ${whoisSample.length} bytes)`);
    const whoisPublic = await measure(
      seconds,
      whoisConcurrency,
      () => whoisQuery(whoisPort, `n + ${randomAddress(orgs)}`),
      found,
      () => role.child.pid,
      postgresCpu,
    );
    ctx.log('  lookup: WHOIS, the constant');
    const whoisConstant = await measure(
      seconds,
      whoisConcurrency,
      () => whoisQuery(constantWhois.port, `n + ${randomAddress(orgs)}`),
      found,
      () => constantWhois.child.pid,
    );
    return {
      settings,
      loadSeconds,
      rdap: {
        public: rdapPublic,
        constant: rdapConstant,
        ratio: round(rdapPublic.queriesPerSecond / rdapConstant.queriesPerSecond, 3),
      },
      whois: {
        public: whoisPublic,
        constant: whoisConstant,
        ratio: round(whoisPublic.queriesPerSecond / whoisConstant.queriesPerSecond, 3),
      },
    };
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => {});
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The markdown section of bench/results/latest.md. */
export function lookupMarkdown(result: LookupResult, at: string): string[] {
  const row = (name: string, r: LookupRate) =>
    `| ${name} | ${r.queriesPerSecond} | ${r.latency.p50Ms} / ${r.latency.p95Ms} / ${r.latency.p99Ms} | ${Object.entries(
      r.cpuMsPerQuery,
    )
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')} | ${r.errors} |`;
  const s = result.settings;
  return [
    `## Lookups (${at})`,
    '',
    `\`hostmasterd start --role public\` on PostgreSQL (fsync on) with ${s.nets} nets (${s.nets / 5} orgs, each a /24 with two detailed and two simple reassignments; loaded in ${result.loadSeconds} s), ` +
      `${s.concurrency} queries in flight (WHOIS at most 8: one client may hold 10 connections) for ${s.seconds} s per row, random addresses in the nets. RDAP: GET /rdap/ip/ADDRESS over keep-alive HTTP; ` +
      'WHOIS: `n + ADDRESS` (the net, its parent, the holder and its POCs), one TCP connection per query. ' +
      'The constant is the same kind of server (fastify; node:net) in a process of its own answering the bytes of a real answer.',
    '',
    '| server | queries/s | p50 / p95 / p99 ms | CPU ms per query | errors |',
    '|---|---|---|---|---|',
    row('RDAP, public role', result.rdap.public),
    row('RDAP, constant', result.rdap.constant),
    row('WHOIS, public role', result.whois.public),
    row('WHOIS, constant', result.whois.constant),
    '',
    ...[result.rdap.public, result.rdap.constant, result.whois.public, result.whois.constant]
      .filter((r) => r.firstError !== undefined)
      .map((r) => `First failed answer: ${JSON.stringify(r.firstError)}`),
    `Ratio to the constant: RDAP ${result.rdap.ratio}, WHOIS ${result.whois.ratio}.`,
    '',
  ];
}
