/**
 * hostmasterd as operators run it: a separate process started with `hostmasterd <command>`,
 * configured by environment only. The crash tests kill these with SIGKILL.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../support/postgres-server.ts';

export const REPO = fileURLToPath(new URL('../../../', import.meta.url));

export interface CommandResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Environment for a hostmasterd process: no embedded servers, nothing on shared default ports. */
export async function processEnv(env: Record<string, string>): Promise<Record<string, string>> {
  const dataDir = env['DATA_DIR'] ?? fs.mkdtempSync(path.join(os.tmpdir(), 'hm-proc-'));
  const base = Object.fromEntries(
    Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined),
  );
  return {
    ...base,
    DATA_DIR: dataDir,
    SMTP_PORT: String(await freePort()),
    CONSOLE_PORT: String(await freePort()),
    WHOIS_PORT: String(await freePort()),
    RDAP_PORT: String(await freePort()),
    LOG_LEVEL: 'warn',
    ...env,
  };
}

/**
 * Environment for a hostmasterd process on the embedded defaults, as a newcomer runs it: a data
 * directory and free ports only (PGlite, redis-server and the outbox directory are its own).
 */
export async function embeddedEnv(extra: Record<string, string> = {}): Promise<Record<string, string>> {
  const env = await processEnv(extra);
  for (const name of ['DATABASE_URL', 'REDIS_URL', 'REPLY_SMTP_URL']) delete env[name];
  return env;
}

/** Runs a short command (`submit`, `migrate`, `demo`) to its end. */
export async function runCommand(
  args: readonly string[],
  env: Record<string, string>,
  stdin?: string | Buffer,
  timeoutMs = 30_000,
): Promise<CommandResult> {
  return await runCommandIn(REPO, args, env, stdin, timeoutMs);
}

/** `runCommand` with the launcher of another copy of the repository (`repo/bin/hostmasterd`). */
export async function runCommandIn(
  repo: string,
  args: readonly string[],
  env: Record<string, string>,
  stdin?: string | Buffer,
  timeoutMs = 30_000,
): Promise<CommandResult> {
  const launcher = path.join(repo, 'bin', 'hostmasterd');
  const child = spawn(process.execPath, [launcher, ...args], { cwd: repo, env, stdio: 'pipe' });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString('utf8');
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString('utf8');
  });
  child.stdin.end(stdin ?? '');
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  // 'exit' may come before the last of stdout and stderr is read (busy-ports once saw exit 1 with
  // an empty stderr): wait for 'close' too, a little, in case a grandchild holds the pipes open.
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  clearTimeout(timer);
  await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 5_000))]);
  return { code, stdout, stderr };
}

export interface DaemonProcess {
  readonly child: ChildProcess;
  /** Everything it wrote so far (logs at LOG_LEVEL), for failure messages. */
  output(): string;
  /** Resolves once it says it is running; rejects when it exits first or takes longer. */
  running(timeoutMs?: number): Promise<void>;
  /** SIGKILL: no cleanup of any kind, like a power cut. */
  kill9(): Promise<void>;
  /** SIGTERM: graceful shutdown; resolves with the exit code (SIGKILL after `graceMs`, 15 s by default). */
  stop(graceMs?: number): Promise<number | null>;
}

/**
 * `hostmasterd start --role <role>...`, as started: whether it runs yet is `running()`'s to say.
 * `npmStart`: as `npm start` runs it (scripts/start.mjs, which runs the daemon as a child of its
 * own with the daemon's node flags and environment).
 */
export function spawnDaemonProcess(
  roles: readonly string[],
  env: Record<string, string>,
  options: { readonly ownProcessGroup?: boolean; readonly repo?: string; readonly npmStart?: boolean } = {},
): DaemonProcess {
  const roleArgs = roles.flatMap((r) => ['--role', r]);
  const repo = options.repo ?? REPO;
  const command = options.npmStart
    ? [path.join(repo, 'scripts', 'start.mjs'), ...roleArgs]
    : [path.join(repo, 'bin', 'hostmasterd'), 'start', ...roleArgs];
  const child = spawn(process.execPath, command, {
    cwd: repo,
    env,
    stdio: 'pipe',
    // As at a terminal: a signal to the group (Ctrl-C) reaches every process in it.
    detached: options.ownProcessGroup === true,
  });
  let output = '';
  const collect = (c: Buffer) => {
    output += c.toString('utf8');
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    running: (timeoutMs = 30_000) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`hostmasterd did not start:\n${output}`)), timeoutMs);
        const check = () => {
          if (output.includes('hostmasterd is running')) {
            clearTimeout(timer);
            resolve();
          }
        };
        check();
        child.stderr.on('data', check);
        child.stdout.on('data', check);
        exited.then((code) => {
          clearTimeout(timer);
          reject(new Error(`hostmasterd exited with ${code} before it was running:\n${output}`));
        });
      }),
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
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

/** `hostmasterd start --role <role>...`; resolves once it says it is running. */
export async function startDaemonProcess(
  roles: readonly string[],
  env: Record<string, string>,
  timeoutMs = 30_000,
): Promise<DaemonProcess> {
  const daemon = spawnDaemonProcess(roles, env);
  await daemon.running(timeoutMs);
  return daemon;
}

/** The id in `hostmasterd submit`'s `Submission: <id>` line; throws when there is none. */
export function submissionId(stdout: string): string {
  const match = /^Submission: (\S+)$/m.exec(stdout);
  if (!match) throw new Error(`no "Submission: <id>" line in: ${JSON.stringify(stdout)}`);
  return match[1]!;
}

/** Waits until DATA_DIR/outbox holds `count` reply files (the embedded defaults' replies) and reads them, sorted. */
export async function outboxFiles(dir: string, count: number, timeoutMs = 30_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.eml')) : [];
    if (files.length >= count) return files.sort().map((f) => fs.readFileSync(path.join(dir, f), 'utf8'));
    if (Date.now() > deadline) throw new Error(`${files.length} of ${count} reply files in ${dir}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
