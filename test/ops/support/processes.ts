/**
 * Daemon roles as real child processes (`./bin/hostmasterd start --role ...`), the way an
 * operator scales out: each with its own environment, its JSON log lines kept for assertions,
 * its /readyz polled until it can work, and stopped with SIGTERM (SIGKILL if it lingers).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Environment } from '../../../src/config/index.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const LAUNCHER = path.join(ROOT, 'bin/hostmasterd');

export interface RoleProcess {
  readonly child: ChildProcess;
  readonly roles: readonly string[];
  /** Where its /metrics, /healthz and /readyz answer (CONSOLE_PORT). */
  readonly opsPort: number;
  /** Its stdout, parsed: one pino record per line. */
  readonly logs: Array<Record<string, unknown>>;
  /** Its stderr, as text (start-up banner, crashes). */
  stderr(): string;
  /** Resolves once /readyz answers 200; rejects if the process exits first or time runs out. */
  ready(timeoutMs?: number): Promise<void>;
  /** SIGTERM (a graceful stop), SIGKILL after `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

export interface SpawnOptions {
  readonly roles: readonly string[];
  /** Must include CONSOLE_PORT (a free one): every process serves /readyz there. */
  readonly env: Environment & { readonly CONSOLE_PORT: string };
  /** Extra node flags, e.g. ['--cpu-prof', '--cpu-prof-dir=...'] for profiling. */
  readonly nodeFlags?: readonly string[];
  /** Drain stdout without keeping it (benchmarks: thousands of lines). */
  readonly quiet?: boolean;
}

export function spawnRole(options: SpawnOptions): RoleProcess {
  const args = ['start', ...options.roles.flatMap((role) => ['--role', role])];
  const child = spawn(process.execPath, [...(options.nodeFlags ?? []), LAUNCHER, ...args], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'], HOME: process.env['HOME'], ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Array<Record<string, unknown>> = [];
  let stderr = '';
  let partial = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    if (options.quiet) return;
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.trim()) continue;
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        logs.push({ msg: line, unparsed: true });
      }
    }
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const opsPort = Number(options.env.CONSOLE_PORT);

  return {
    child,
    roles: options.roles,
    opsPort,
    logs,
    stderr: () => stderr,
    async ready(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (child.exitCode !== null) {
          throw new Error(`hostmasterd ${args.join(' ')} exited with ${child.exitCode}: ${stderr}`);
        }
        try {
          const response = await fetch(`http://127.0.0.1:${opsPort}/readyz`);
          if (response.status === 200) return;
        } catch {
          // Not listening yet.
        }
        if (Date.now() > deadline) throw new Error(`hostmasterd ${args.join(' ')} not ready: ${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async stop(graceMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
