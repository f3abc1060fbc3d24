/**
 * Many large messages at once on the embedded defaults (PGlite): a real `hostmasterd start
 * --role ingress` child process is sent N concurrent messages just under the 10 MiB limit while
 * its /healthz is polled. Every sender must hear an answer (accepted, or told to try again),
 * /healthz must keep answering, and the process's peak memory must stay bounded: its growth over
 * a run of N small messages is compared with the bytes offered, a ratio and no absolute figure.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RoleProcess, spawnRole } from '../ops/support/processes.ts';
import { prepareEmbeddedDatabase } from '../pipeline/support/prepared-database.ts';
import { freePort } from '../support/postgres-server.ts';
import { type RedisServer, startRedis } from '../support/redis-server.ts';
import { type SmtpAnswer, sendOverSmtp, templateMail } from './helpers.ts';

const CONCURRENT = 16;
const LARGE_BYTES = Math.floor(9.5 * 1024 * 1024);
const MIB = 1024 * 1024;

/** A base64-looking body of about `bytes` bytes in 76-character lines, the shape of an attachment. */
function bodyOf(bytes: number): string {
  const line = randomBytes(57).toString('base64');
  return `${line}\r\n`.repeat(Math.ceil(bytes / (line.length + 2)));
}

/** The resident set of a process now (VmRSS), in bytes. */
function rss(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  if (!kb) throw new Error(`no VmRSS for process ${pid}`);
  return Number(kb) * 1024;
}

interface HealthProbe {
  /** The largest resident set seen while probing. */
  readonly peakRss: number;
  /** Stops polling; resolves to every poll's outcome (status, or the error it failed with) and duration. */
  stop(): Promise<Array<{ status: number | string; ms: number }>>;
}

/** Polls /healthz one request at a time until stopped (each may take up to 15 s: the machine may be busy), and samples RSS. */
function probeHealth(port: number, pid: number): HealthProbe {
  const results: Array<{ status: number | string; ms: number }> = [];
  let running = true;
  let peakRss = rss(pid);
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, rss(pid));
  }, 50);
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      try {
        const response = await fetch(`http://127.0.0.1:${port}/healthz`, {
          signal: AbortSignal.timeout(15_000),
        });
        await response.text();
        results.push({ status: response.status, ms: performance.now() - started });
      } catch (error) {
        results.push({ status: (error as Error).name, ms: performance.now() - started });
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  return {
    get peakRss() {
      return peakRss;
    },
    async stop() {
      running = false;
      await loop;
      clearInterval(sampler);
      return results;
    },
  };
}

interface LoadRun {
  readonly answers: readonly SmtpAnswer[];
  readonly health: Array<{ status: number | string; ms: number }>;
  readonly peakRss: number;
}

async function sendAtOnce(daemon: RoleProcess, smtpPort: number, body: string): Promise<LoadRun> {
  const probe = probeHealth(daemon.opsPort, daemon.child.pid!);
  const answers = await Promise.all(
    Array.from({ length: CONCURRENT }, (_, i) =>
      sendOverSmtp(smtpPort, templateMail({ from: `big${i}@isp.example`, body }), {
        from: `big${i}@isp.example`,
        to: ['hostmaster@localhost'],
      }).catch((error: Error): SmtpAnswer => ({ code: 0, text: `${error.name}: ${error.message}` })),
    ),
  );
  const health = await probe.stop();
  return { answers, health, peakRss: probe.peakRss };
}

// Sixteen 10 MB messages through the embedded database take a minute or more on a busy machine.
describe('large messages at once on the embedded database', { timeout: 300_000 }, () => {
  let redis: RedisServer;
  let daemon: RoleProcess;
  let smtpPort: number;
  let dataDir: string;

  beforeAll(async () => {
    redis = await startRedis();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hm-large-'));
    // Made beforehand, as a restart finds it: a first start makes it in a child process of its
    // own, which leaves the daemon's memory as it is and only costs time here.
    await prepareEmbeddedDatabase(dataDir);
    smtpPort = await freePort();
    daemon = spawnRole({
      roles: ['ingress'],
      env: {
        DATA_DIR: dataDir,
        REDIS_URL: redis.url,
        SMTP_PORT: String(smtpPort),
        CONSOLE_PORT: String(await freePort()),
        HOSTMASTER_ADDRESSES: 'hostmaster@localhost',
        LOG_LEVEL: 'warn',
        // Here every sender connects from 127.0.0.1: the per-client cap is not what is measured.
        SMTP_MAX_CONNECTIONS_PER_CLIENT: String(CONCURRENT),
      },
    });
    await daemon.ready(60_000);
  });
  afterAll(async () => {
    await daemon?.stop();
    await redis?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers every sender, keeps /healthz answering and holds memory bounded', async () => {
    const small = await sendAtOnce(daemon, smtpPort, bodyOf(4 * 1024));
    expect(small.answers.map((a) => a.code)).toEqual(Array(CONCURRENT).fill(250));

    const large = await sendAtOnce(daemon, smtpPort, bodyOf(LARGE_BYTES - 1024));
    const growth = large.peakRss - small.peakRss;
    const offered = CONCURRENT * LARGE_BYTES;
    const slowest = Math.max(...large.health.map((h) => h.ms));
    console.log(
      `${CONCURRENT} x ${(LARGE_BYTES / MIB).toFixed(1)} MiB: answers ${JSON.stringify(large.answers.map((a) => a.code))}; ` +
        `peak RSS ${(small.peakRss / MIB).toFixed(0)} MiB with small, ${(large.peakRss / MIB).toFixed(0)} MiB with large ` +
        `(growth ${(growth / offered).toFixed(2)} of the ${(offered / MIB).toFixed(0)} MiB offered); ` +
        `/healthz ${large.health.length} polls, slowest ${slowest.toFixed(0)} ms`,
    );

    // Everyone hears an answer: accepted, or told to try again (4xx), never a hang-up or a timeout.
    for (const answer of large.answers) {
      expect([250, 421, 451, 452], `${answer.code} ${answer.text}`).toContain(answer.code);
    }
    expect(large.answers.filter((a) => a.code === 250).length).toBeGreaterThan(0);
    // Health kept answering all along (each poll had 15 s; before, polls failed for a minute).
    expect(large.health.length).toBeGreaterThan(0);
    for (const poll of large.health) expect(poll.status).toBe(200);
    // Memory: the messages are neither held several times over nor all at once. Holding them so
    // (as before) grew the process by about six times the bytes offered; now a few are in memory
    // at a time, and the embedded database's heap grows once to hold one. 1.7-2.0 measured: the
    // small run's own peak fell by ~150 MiB with PGlite's named statements (392 -> 217-250 MiB)
    // while the large run's fell less (655 -> 515-557), so the same holding shows as more growth.
    expect(growth / offered).toBeLessThan(2.5);
  });
});
