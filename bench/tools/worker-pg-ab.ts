/**
 * The worker's PostgreSQL side alone, A/B in one process: what a message costs the database
 * server's backends (CPU from /proc) under two session settings, interleaved round by round on
 * one durable server, so both sides see the same minutes of a shared machine.
 *
 *   npx tsx bench/tools/worker-pg-ab.ts [--messages 200] [--rounds 4] [--concurrency 4]
 *       [--a "label=OPTIONS"] [--b "label=OPTIONS"]
 *
 * OPTIONS are PostgreSQL's connection `options` for that side's sessions (e.g.
 * `-c plan_cache_mode=force_generic_plan`; empty for the defaults). Each side has a database of
 * its own (migrated, the demo registry seeded), one pool, and runs the bench's bulk messages
 * (1-10 templates, 5.5 on average) through the ingress's store and the worker's processing, N at
 * once, in this process. Reported per side, per round: the server backends' CPU per message
 * (user + system of the side's connections), this process's CPU per message (both sides' code
 * is the same; it moves with the machine), planning and execution from pg_stat_statements.
 */
import fs from 'node:fs';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { loadConfig } from '../../src/config/index.ts';
import { openDatabase, queryRows } from '../../src/db/index.ts';
import { storeSubmission } from '../../src/ingress/index.ts';
import { DEMO_SEED, seedRegistry, validateSeed } from '../../src/registry/index.ts';
import { processSubmission } from '../../src/worker/index.ts';
import { bulkPlan } from '../../test/ops/support/traffic.ts';
import { quietWorkerContext } from '../../test/support/worker-context.ts';
import { startBenchPostgres } from '../support/postgres.ts';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

const messages = Number(option('messages', '200'));
const rounds = Number(option('rounds', '4'));
const concurrency = Number(option('concurrency', '4'));
const sides = [option('a', 'default='), option('b', 'generic=-c plan_cache_mode=force_generic_plan')].map(
  (spec) => {
    const at = spec.indexOf('=');
    return { label: spec.slice(0, at), options: spec.slice(at + 1) };
  },
);

const clockTicks = 100;
function cpuMsOf(pid: number): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks;
  } catch {
    return 0;
  }
}

const server = await startBenchPostgres({ statementStats: true });
const admin = new pg.Client({ connectionString: server.url });
await admin.connect();
await admin.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');

interface Side {
  readonly label: string;
  readonly dbName: string;
  readonly handle: Awaited<ReturnType<typeof openDatabase>>;
  readonly results: {
    backendMs: number;
    selfMs: number;
    planMs: number;
    execMs: number;
    plans: number;
    analyzed: number;
  }[];
}

const opened: Side[] = [];
for (const [i, side] of sides.entries()) {
  const dbName = `ab_${i}`;
  let url = await server.createDatabase(dbName);
  if (side.options) url += `?options=${encodeURIComponent(side.options)}`;
  const config = loadConfig({ DATABASE_URL: url });
  const handle = await openDatabase(config.database);
  const doc = validateSeed(DEMO_SEED);
  if (!doc.ok) throw new Error('demo seed');
  const seeded = await seedRegistry(handle.db, doc.value);
  if (!seeded.ok) throw new Error(seeded.error.message);
  opened.push({ label: side.label, dbName, handle, results: [] });
}

async function runBatch(side: Side, run: number, count: number): Promise<void> {
  const ctx = quietWorkerContext(side.handle.db);
  const plan = bulkPlan(count, { run });
  let next = 0;
  const lane = async () => {
    while (next < plan.messages.length) {
      const message = plan.messages[next++]!;
      const stored = await storeSubmission(side.handle.db, {
        raw: Buffer.from(message.raw),
        envelope: { mailFrom: 'noc@demo-isp.example', rcptTo: ['hostmaster@localhost'] },
        via: 'smtp',
        remoteAddress: '127.0.0.1',
      });
      if (!stored.ok) throw new Error(stored.error.message);
      await processSubmission(ctx, stored.value.id);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
}

async function backends(dbName: string): Promise<number[]> {
  const { rows } = await admin.query<{ pid: number }>(
    'SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
    [dbName],
  );
  return rows.map((r) => r.pid);
}

async function statementTimes(dbName: string): Promise<{ planMs: number; execMs: number; plans: number }> {
  const { rows } = await admin.query<{ plan: number; exec: number; plans: string }>(
    `SELECT coalesce(sum(total_plan_time), 0) AS plan, coalesce(sum(total_exec_time), 0) AS exec,
            coalesce(sum(plans), 0) AS plans
       FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = $1`,
    [dbName],
  );
  return { planMs: rows[0]!.plan, execMs: rows[0]!.exec, plans: Number(rows[0]!.plans) };
}

/** ANALYZEs autovacuum ran in the side's database so far (each invalidates the plans kept of the table's statements). */
async function analyzeCount(side: Side): Promise<number> {
  const [row] = await queryRows<{ n: string }>(
    side.handle.db,
    sql`select coalesce(sum(autoanalyze_count), 0) as n from pg_stat_user_tables`,
  );
  return Number(row?.n ?? 0);
}

// Warm both sides (pools opened, statements named and planned, code compiled).
for (const [i, side] of opened.entries()) await runBatch(side, 900 + i, 60);

for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? opened : [...opened].reverse();
  for (const side of order) {
    await admin.query('SELECT pg_stat_statements_reset()');
    const analyzedBefore = await analyzeCount(side);
    const pids = await backends(side.dbName);
    const before = new Map(pids.map((pid) => [pid, cpuMsOf(pid)]));
    const self = process.cpuUsage();
    await runBatch(side, 10 * (round + 1) + opened.indexOf(side), messages);
    const selfUsed = process.cpuUsage(self);
    let backendMs = 0;
    for (const pid of await backends(side.dbName)) backendMs += cpuMsOf(pid) - (before.get(pid) ?? 0);
    const times = await statementTimes(side.dbName);
    side.results.push({
      backendMs: backendMs / messages,
      selfMs: (selfUsed.user + selfUsed.system) / 1000 / messages,
      planMs: times.planMs / messages,
      execMs: times.execMs / messages,
      plans: times.plans / messages,
      analyzed: (await analyzeCount(side)) - analyzedBefore,
    });
    const r = side.results.at(-1)!;
    process.stdout.write(
      `round ${round + 1} ${side.label}: backends ${r.backendMs.toFixed(2)} ms/msg, this process ${r.selfMs.toFixed(2)}, planning ${r.planMs.toFixed(2)} (${r.plans.toFixed(1)} plans), execution ${r.execMs.toFixed(2)}, tables analysed by autovacuum ${r.analyzed}\n`,
    );
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
process.stdout.write(
  '\n| side | backends CPU ms/msg | this process | planning ms/msg (plans) | execution ms/msg |\n|---|---|---|---|---|\n',
);
for (const side of opened) {
  const col = (key: keyof Side['results'][number]) => side.results.map((r) => r[key].toFixed(2)).join(', ');
  process.stdout.write(
    `| ${side.label} | ${median(side.results.map((r) => r.backendMs)).toFixed(2)} (${col('backendMs')}) | ${median(side.results.map((r) => r.selfMs)).toFixed(2)} | ${median(side.results.map((r) => r.planMs)).toFixed(2)} (${median(side.results.map((r) => r.plans)).toFixed(1)}) | ${median(side.results.map((r) => r.execMs)).toFixed(2)} |\n`,
  );
}

for (const side of opened) await side.handle.close();
await admin.end();
server.stop();
process.exit(0);
