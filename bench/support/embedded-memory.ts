/**
 * What `hostmasterd start` on the embedded defaults (every role, PGlite, the private
 * redis-server) holds in memory, as a newcomer runs it (`npm start`: with the node flags and
 * malloc settings of scripts/daemon-node-flags.mjs; `bare`: without): a first start on an empty DATA_DIR (initdb
 * and migrations), then a restart on that DATA_DIR. Each is read `idleSeconds` after it says it
 * is running: VmRSS and VmHWM of the daemon process from /proc, and its /metrics gauges (V8 heap,
 * external memory, which holds PGlite's WebAssembly memory).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DAEMON_NODE_FLAGS, daemonEnvironment } from '../../scripts/daemon-node-flags.mjs';
import { spawnRole } from '../../test/ops/support/processes.ts';
import { embeddedEnv } from '../../test/pipeline/support/processes.ts';

export interface IdleMemory {
  readonly start: 'first start' | 'restart';
  readonly readyMs: number;
  readonly rssMiB: number;
  readonly peakMiB: number;
  readonly heapUsedMiB?: number | undefined;
  readonly heapTotalMiB?: number | undefined;
  readonly externalMiB?: number | undefined;
}

function statusKb(pid: number, field: string): number | undefined {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status)?.[1];
  return kb === undefined ? undefined : Number(kb);
}

const mib = (bytes: number | undefined) => (bytes === undefined ? undefined : Math.round(bytes / 1048576));

async function gauges(
  opsPort: number,
): Promise<Pick<IdleMemory, 'heapUsedMiB' | 'heapTotalMiB' | 'externalMiB'>> {
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

async function measure(
  dataDir: string,
  start: IdleMemory['start'],
  options: { readonly idleSeconds: number; readonly bare: boolean; readonly log: (line: string) => void },
): Promise<IdleMemory> {
  const env = await embeddedEnv({ DATA_DIR: dataDir });
  const opsPort = env['CONSOLE_PORT'];
  if (opsPort === undefined) throw new Error('embeddedEnv gave no CONSOLE_PORT');
  const began = Date.now();
  const daemon = spawnRole({
    roles: [],
    env: options.bare
      ? { ...env, CONSOLE_PORT: opsPort }
      : daemonEnvironment({ ...env, CONSOLE_PORT: opsPort }),
    quiet: true,
    nodeFlags: options.bare ? [] : DAEMON_NODE_FLAGS,
  });
  try {
    await daemon.ready(180_000);
    const readyMs = Date.now() - began;
    await sleep(options.idleSeconds * 1000);
    const pid = daemon.child.pid!;
    return {
      start,
      readyMs,
      rssMiB: Math.round((statusKb(pid, 'VmRSS') ?? 0) / 1024),
      peakMiB: Math.round((statusKb(pid, 'VmHWM') ?? 0) / 1024),
      ...(await gauges(daemon.opsPort)),
    };
  } finally {
    const code = await daemon.stop(30_000);
    if (code !== 0) options.log(`${start}: exit ${code}: ${daemon.stderr()}`);
  }
}

/** A first start on an empty DATA_DIR, then a restart on it, each read idle. */
export async function measureEmbeddedIdle(options: {
  readonly idleSeconds: number;
  readonly bare?: boolean;
  readonly log: (line: string) => void;
}): Promise<readonly IdleMemory[]> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hm-memory-'));
  const settings = { idleSeconds: options.idleSeconds, bare: options.bare ?? false, log: options.log };
  try {
    return [await measure(dataDir, 'first start', settings), await measure(dataDir, 'restart', settings)];
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
