/**
 * The embedded default: when REDIS_URL is unset, the daemon runs its own private `redis-server`
 * child on a unix socket under DATA_DIR (no TCP port), with the append-only file on so queued
 * jobs survive a restart. `appendfsync everysec` may lose the last second of jobs on a power
 * cut; that is safe because every submission is committed to the database first and the sweeper
 * re-queues any whose job is missing.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { isProcessAlive, type Problem, ProblemError, problem } from '../shared/index.ts';

export interface EmbeddedRedisOptions {
  readonly socketPath: string;
  /** Where the append-only file, pid file and log live. */
  readonly dir: string;
  /** The server binary; found on PATH by default. */
  readonly binary?: string;
  readonly startTimeoutMs?: number;
  readonly logger?: Logger;
  /** The waits before each try to start a server that exited unasked (tests shorten them). */
  readonly restartDelaysMs?: readonly number[];
}

export interface EmbeddedRedis {
  readonly kind: 'socket';
  readonly socketPath: string;
  /** The server running now (a new one after a restart). */
  readonly pid: number;
  /** Resolves only if the server exited unasked and could not be started again. */
  readonly failed: Promise<Problem>;
  /**
   * From now on a server that exits is not started again (the daemon is shutting down: a signal
   * to its process group reaches the server too, and stop() follows).
   */
  leaveStopped(): void;
  /** SIGTERM (Redis flushes its append-only file), wait, SIGKILL if it hangs. Safe to call twice. */
  stop(): Promise<void>;
}

/** Linux keeps unix socket paths in 108 bytes, with the terminating NUL. */
const MAX_SOCKET_PATH_BYTES = 107;
const OWNER_FILE = 'hostmasterd.owner';
const PID_FILE = 'redis.pid';
/** About a minute of tries, each after a longer wait. */
const RESTART_DELAYS_MS: readonly number[] = [100, 500, 1_000, 2_000, 4_000, 8_000, 15_000, 30_000];

export async function startEmbeddedRedis(options: EmbeddedRedisOptions): Promise<EmbeddedRedis> {
  const { socketPath, dir } = options;
  if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH_BYTES) {
    throw new ProblemError(
      problem(
        'E_REDIS_SOCKET_PATH',
        `the Redis socket path ${socketPath} is longer than ${MAX_SOCKET_PATH_BYTES} bytes; use a shorter DATA_DIR`,
      ),
    );
  }
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.mkdirSync(path.dirname(socketPath), { recursive: true, mode: 0o700 });
  await takeOverLeftoverServer(dir, socketPath, options.logger);

  let server = await launchServer(options);
  const ownerPath = path.join(dir, OWNER_FILE);
  fs.writeFileSync(ownerPath, String(process.pid));
  // If the daemon exits without stop() (an uncaught error), the child must not outlive it.
  const onExit = () => server.child.kill('SIGTERM');
  process.once('exit', onExit);
  options.logger?.info({ socketPath, redisPid: server.child.pid }, 'embedded redis-server started');

  // Nobody else supervises the server this process started (an OOM kill, a crash, an operator's
  // kill): it is started again on the same socket and append-only file, so the connections
  // (which reconnect by themselves) find the queue as it was, and the sweeper re-queues what the
  // last second of the file may have lost. A server that will not start again after
  // RESTART_DELAYS_MS is a failure of the daemon: the owner is told, and exits for its supervisor.
  let stopping: Promise<void> | undefined;
  let leftStopped = false;
  let gaveUp: ((failure: Problem) => void) | undefined;
  const failed = new Promise<Problem>((resolve) => {
    gaveUp = resolve;
  });
  const delays = options.restartDelaysMs ?? RESTART_DELAYS_MS;
  const superviseFrom = (running: RunningServer) => {
    void running.exited.then(async (exit) => {
      if (stopping || leftStopped) {
        options.logger?.info(
          { socketPath, exitCode: exit.code, signal: exit.signal },
          'embedded redis-server exited',
        );
        return;
      }
      options.logger?.error(
        { socketPath, redisPid: running.child.pid, exitCode: exit.code, signal: exit.signal },
        'embedded redis-server exited; starting it again',
      );
      let lastError = '';
      for (const [attempt, delayMs] of delays.entries()) {
        await sleep(delayMs, undefined, { ref: false });
        if (stopping || leftStopped) return;
        try {
          server = await launchServer(options);
        } catch (error) {
          lastError = (error as Error).message;
          options.logger?.warn(
            { socketPath, attempt: attempt + 1, err: lastError },
            'embedded redis-server did not start again',
          );
          continue;
        }
        if (stopping || leftStopped) {
          await stopChild(server.child, server.exited);
          return;
        }
        options.logger?.info(
          { socketPath, redisPid: server.child.pid, attempt: attempt + 1 },
          'embedded redis-server started again',
        );
        superviseFrom(server);
        return;
      }
      gaveUp?.(
        problem(
          'E_REDIS_FAILED',
          `the embedded redis-server exited and did not start again after ${delays.length} tries: ${lastError || 'no output'}`,
        ),
      );
    });
  };
  superviseFrom(server);

  return {
    kind: 'socket',
    socketPath,
    get pid() {
      return server.child.pid ?? 0;
    },
    failed,
    leaveStopped: () => {
      leftStopped = true;
    },
    stop: () => {
      stopping ??= (async () => {
        process.removeListener('exit', onExit);
        await stopChild(server.child, server.exited);
        fs.rmSync(ownerPath, { force: true });
        options.logger?.info({ socketPath }, 'embedded redis-server stopped');
      })();
      return stopping;
    },
  };
}

interface RunningServer {
  readonly child: ChildProcess;
  readonly exited: Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }>;
}

/** Spawns the server and waits for its PONG; throws E_REDIS_MISSING or E_REDIS_FAILED. */
async function launchServer(options: EmbeddedRedisOptions): Promise<RunningServer> {
  const { socketPath, dir } = options;
  const binary = options.binary ?? 'redis-server';
  const child = spawn(
    binary,
    [
      '--port',
      '0',
      '--unixsocket',
      socketPath,
      '--unixsocketperm',
      '700',
      '--dir',
      dir,
      '--appendonly',
      'yes',
      '--appendfsync',
      'everysec',
      '--save',
      '',
      '--maxmemory-policy',
      'noeviction',
      '--daemonize',
      'no',
      '--pidfile',
      path.join(dir, PID_FILE),
      '--logfile',
      '',
    ],
    // A session of its own: a terminal's Ctrl-C or a signal to the daemon's process group must
    // not stop the server under the daemon's feet while it lets running jobs finish (it took
    // BullMQ ~35 s of reconnecting to give up); the daemon stops it last, and a server left behind
    // by a daemon killed outright is stopped by the next start (takeOverLeftoverServer).
    { stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  // A failed kill() later must not become an uncaught 'error' event.
  child.on('error', () => {});
  const output = keepTail(child);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const spawnFailed = new Promise<Error>((resolve) => child.once('error', resolve));

  const ready = await Promise.race([
    waitForPong(socketPath, options.startTimeoutMs ?? 15_000).then((ok) => (ok ? 'ready' : 'timeout')),
    exited.then(() => 'exited' as const),
    spawnFailed.then((error) => error),
  ]);
  if (ready !== 'ready') {
    child.kill('SIGKILL');
    if (ready instanceof Error && (ready as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new ProblemError(
        problem(
          'E_REDIS_MISSING',
          `${binary} was not found; install it with apt-get install redis-server (or set REDIS_URL)`,
        ),
      );
    }
    const why =
      ready instanceof Error ? ready.message : ready === 'timeout' ? 'it did not answer PING' : 'it exited';
    throw new ProblemError(
      problem(
        'E_REDIS_FAILED',
        `the embedded redis-server did not start (${why}): ${output().trim() || 'no output'}`,
      ),
    );
  }
  return { child, exited };
}

async function stopChild(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  // An unref'd timer: once the child is gone, this wait must not keep the daemon alive 10 s more.
  const done = await Promise.race([
    exited.then(() => true),
    sleep(10_000, undefined, { ref: false }).then(() => false),
  ]);
  if (!done) {
    child.kill('SIGKILL');
    await exited;
  }
}

/** The last lines the server printed, for the error sentence when it will not start. */
function keepTail(child: ChildProcess): () => string {
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-2_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => tail.split('\n').slice(-5).join('\n');
}

/**
 * A socket that still answers belongs either to another running hostmasterd (refuse: two daemons
 * must not share one private Redis) or to a server left behind by a daemon that was killed
 * (stop it: its data is in the append-only file, and we start a fresh child on it).
 */
async function takeOverLeftoverServer(dir: string, socketPath: string, logger?: Logger): Promise<void> {
  if (!fs.existsSync(socketPath) || !(await ping(socketPath))) return;
  const owner = readPid(path.join(dir, OWNER_FILE));
  if (owner !== undefined && owner !== process.pid && isProcessAlive(owner)) {
    throw new ProblemError(
      problem(
        'E_REDIS_IN_USE',
        `the embedded Redis at ${socketPath} belongs to running process ${owner}; is hostmasterd already running on this DATA_DIR?`,
      ),
    );
  }
  const leftover = readPid(path.join(dir, PID_FILE));
  if (leftover === undefined || !isProcessAlive(leftover)) {
    throw new ProblemError(
      problem(
        'E_REDIS_IN_USE',
        `something already answers on ${socketPath}; stop it or use another DATA_DIR`,
      ),
    );
  }
  logger?.warn({ redisPid: leftover, socketPath }, 'stopping a redis-server left behind by a previous run');
  process.kill(leftover, 'SIGTERM');
  for (let i = 0; i < 100 && isProcessAlive(leftover); i++) await sleep(100);
  if (isProcessAlive(leftover)) process.kill(leftover, 'SIGKILL');
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** One PING over the socket; true only for +PONG (a server still loading its AOF answers -LOADING). */
export async function ping(socketPath: string, timeoutMs = 1_000): Promise<boolean> {
  return await new Promise((resolve) => {
    const socket = net.createConnection({ path: socketPath });
    let answer = '';
    const finish = (ok: boolean) => {
      socket.destroy();
      clearTimeout(timer);
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      answer += chunk.toString('utf8');
      if (answer.includes('\r\n')) finish(answer.startsWith('+PONG'));
    });
    socket.on('error', () => finish(false));
    socket.on('close', () => finish(answer.startsWith('+PONG')));
  });
}

async function waitForPong(socketPath: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (fs.existsSync(socketPath) && (await ping(socketPath))) return true;
    await sleep(25);
  }
  return false;
}
