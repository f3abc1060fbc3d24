/**
 * A throwaway real `redis-server` (Debian's) for tests: its own temp directory, a free loopback
 * port and a unix socket, append-only file on so `pause()`/`resume()` (an outage) keeps the jobs.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './postgres-server.ts';

export interface RedisServer {
  /** `redis://127.0.0.1:PORT` */
  readonly url: string;
  readonly port: number;
  readonly socketPath: string;
  /** Stops it and removes its files. */
  stop(): Promise<void>;
  /** Stops it, keeping its data (outage tests). */
  pause(): Promise<void>;
  /** Starts it again on the same port and socket, with the data it had. */
  resume(): Promise<void>;
  /** The server's process id while it runs (the benchmark counts its CPU time). */
  pid(): number | undefined;
}

export async function startRedis(): Promise<RedisServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hm-redis-'));
  const socketPath = path.join(dir, 'redis.sock');
  const port = await freePort();
  let child: ChildProcess | undefined;

  const start = async () => {
    const started = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--unixsocket',
        socketPath,
        '--dir',
        dir,
        '--appendonly',
        'yes',
        '--save',
        '',
        '--maxmemory-policy',
        'noeviction',
        '--logfile',
        path.join(dir, 'redis.log'),
      ],
      { stdio: 'ignore' },
    );
    const failed = new Promise<Error>((resolve) => started.once('error', resolve));
    // If the test process dies before stop(), the server must not outlive it.
    const killOnExit = () => started.kill('SIGKILL');
    process.once('exit', killOnExit);
    started.once('exit', () => process.removeListener('exit', killOnExit));
    child = started;
    // Up to 30 s: with every test file starting servers at once on two cores, a fresh
    // redis-server was once not even logging after 10 s.
    for (let i = 0; i < 600; i++) {
      const outcome = await Promise.race([answers(port), failed, sleep(50).then(() => false as const)]);
      if (outcome instanceof Error) throw new Error(`redis-server could not start: ${outcome.message}`);
      if (outcome === true) return;
      if (started.exitCode !== null) break;
    }
    started.kill('SIGKILL');
    const log = fs.existsSync(path.join(dir, 'redis.log'))
      ? fs.readFileSync(path.join(dir, 'redis.log'), 'utf8')
      : '';
    throw new Error(`redis-server did not answer on port ${port}: ${log.slice(-500)}`);
  };

  const halt = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGTERM');
    if ((await Promise.race([exited.then(() => true), sleep(5_000).then(() => false)])) === false) {
      running.kill('SIGKILL');
      await exited;
    }
  };

  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    socketPath,
    pause: halt,
    resume: start,
    pid: () => child?.pid,
    stop: async () => {
      await halt();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function answers(port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const socket = net.createConnection({ port, host: '127.0.0.1' });
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('utf8');
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
    socket.on('error', () => done(false));
  });
}
