/**
 * `npx tsx bench/tools/embedded-memory.ts [IDLE_SECONDS] [--bare]`: what `hostmasterd start` on
 * the embedded defaults (every role, PGlite, the private redis-server) holds in memory, as a
 * newcomer runs it (`npm start`: with scripts/daemon-node-flags.mjs; `--bare`: without): a
 * first start on an empty DATA_DIR (initdb and migrations), then a restart on that DATA_DIR. Each is read IDLE_SECONDS (15) after it says it is running: VmRSS and VmHWM
 * of the daemon process from /proc, and its /metrics gauges (V8 heap, external memory, which
 * holds PGlite's WebAssembly memory). Prints one JSON line per start.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DAEMON_NODE_FLAGS } from '../../scripts/daemon-node-flags.mjs';
import { spawnRole } from '../../test/ops/support/processes.ts';
import { freePort } from '../../test/support/postgres-server.ts';

const bare = process.argv.includes('--bare');
const idleSeconds = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 15);

function statusKb(pid: number, field: string): number | undefined {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status)?.[1];
  return kb === undefined ? undefined : Number(kb);
}

const mib = (bytes: number | undefined) => (bytes === undefined ? undefined : Math.round(bytes / 1048576));

async function gauges(opsPort: number): Promise<Record<string, number | undefined>> {
  const text = await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text();
  const value = (name: string) => {
    const line = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1];
    return line === undefined ? undefined : Number(line);
  };
  return {
    heapUsedMiB: mib(value('nodejs_heap_size_used_bytes')),
    heapTotalMiB: mib(value('nodejs_heap_size_total_bytes')),
    externalMiB: mib(value('nodejs_external_memory_bytes')),
  };
}

async function measure(dataDir: string, label: string): Promise<void> {
  const env = {
    DATA_DIR: dataDir,
    SMTP_PORT: String(await freePort()),
    CONSOLE_PORT: String(await freePort()),
    WHOIS_PORT: String(await freePort()),
    RDAP_PORT: String(await freePort()),
    LOG_LEVEL: 'warn',
  };
  const began = Date.now();
  const daemon = spawnRole({ roles: [], env, quiet: true, nodeFlags: bare ? [] : DAEMON_NODE_FLAGS });
  try {
    await daemon.ready(180_000);
    const readyMs = Date.now() - began;
    await sleep(idleSeconds * 1000);
    const pid = daemon.child.pid!;
    const line = {
      start: label,
      readyMs,
      rssMiB: Math.round((statusKb(pid, 'VmRSS') ?? 0) / 1024),
      peakMiB: Math.round((statusKb(pid, 'VmHWM') ?? 0) / 1024),
      ...(await gauges(daemon.opsPort)),
    };
    process.stdout.write(`${JSON.stringify(line)}\n`);
  } finally {
    const code = await daemon.stop(30_000);
    if (code !== 0) process.stderr.write(`${label}: exit ${code}: ${daemon.stderr()}\n`);
  }
}

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hm-memory-'));
try {
  await measure(dataDir, 'first start');
  await measure(dataDir, 'restart');
} finally {
  fs.rmSync(dataDir, { recursive: true, force: true });
}
