/**
 * A throwaway PostgreSQL server on a temp directory and a free loopback port,
 * started with the machine's own initdb/pg_ctl (as the `postgres` user when we are root).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface PostgresServer {
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  /** Where its unix socket is (`.s.PGSQL.<port>`), for clients on this machine. */
  readonly socketDir: string;
  stop(): void;
  /** Stops it without removing its files, so it can be started again (outage tests). */
  pause(): void;
  resume(): void;
  /**
   * `pg_ctl restart -m <mode>`: `fast` ends every session (each is told "terminating connection
   * due to administrator command") and checkpoints; `immediate` drops them without a word, as a
   * crash or a failover does, and the server recovers from its WAL. Resolves once it accepts
   * connections again; the caller's event loop runs meanwhile (its SMTP sink, its senders).
   */
  restart(mode: 'fast' | 'immediate'): Promise<void>;
  /**
   * SIGSTOP to the server and every process of it: connections stay open and nothing answers,
   * as when a server hangs or the network between drops packets without a reset. thaw() resumes it.
   */
  freeze(): void;
  thaw(): void;
}

export function findPostgresBinDir(): string | undefined {
  const candidates = [process.env['PG_BIN_DIR'] ?? ''];
  try {
    candidates.push(execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim());
  } catch {}
  if (fs.existsSync('/usr/lib/postgresql')) {
    for (const version of fs.readdirSync('/usr/lib/postgresql').sort().reverse()) {
      candidates.push(`/usr/lib/postgresql/${version}/bin`);
    }
  }
  return candidates.find(
    (dir) => dir && fs.existsSync(path.join(dir, 'initdb')) && fs.existsSync(path.join(dir, 'pg_ctl')),
  );
}

/**
 * Ports for servers the tests start are picked below the kernel's ephemeral range (32768-60999
 * here): a port from that range (what `listen(0)` hands out) can be taken by any outgoing
 * connection between the moment it is found free and the moment the server binds it, and under
 * the full suite that happened. Random in the 12768 ports below that range, checked free by binding
 * it, never the same twice in one process.
 */
const handedOut = new Set<number>();
/** The first ephemeral port, as the kernel says (32768 when it does not say). */
function ephemeralStart(): number {
  try {
    const first = Number(
      fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0],
    );
    return Number.isInteger(first) && first > 0 ? first : 32_768;
  } catch {
    return 32_768;
  }
}
const HIGH = Math.min(32_767, ephemeralStart() - 1);
const LOW = Math.max(1_024, HIGH - 12_767);

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

export async function freePort(): Promise<number> {
  for (let tries = 0; tries < 200; tries++) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW + 1));
    if (handedOut.has(port)) continue;
    if (await bindable(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free port found in ${LOW}-${HIGH}`);
}

export interface PostgresOptions {
  /**
   * Production settings (fsync, synchronous commit, full-page writes on), for benchmarks. Tests
   * turn them off for speed, which would flatter every throughput figure.
   */
  readonly durable?: boolean;
  /** More server settings, `name=value` each (the benchmark's pg_stat_statements). */
  readonly settings?: readonly string[];
}

export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresServer> {
  const binDir = findPostgresBinDir();
  if (!binDir) {
    throw new Error('PostgreSQL server binaries (initdb, pg_ctl) not found: apt-get install postgresql');
  }
  const asRoot = process.getuid?.() === 0;
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'hostmasterd-pg-'));
  const dataDir = path.join(base, 'data');
  const socketDir = path.join(base, 'run');
  fs.mkdirSync(socketDir);
  if (asRoot) {
    fs.chmodSync(base, 0o755);
    execFileSync('chown', ['-R', 'postgres:postgres', base]);
  }
  const run = (command: string, args: string[]) => {
    const full = path.join(binDir, command);
    const result = asRoot
      ? spawnSync('runuser', ['-u', 'postgres', '--', full, ...args], { encoding: 'utf8' })
      : spawnSync(full, args, { encoding: 'utf8' });
    if (result.status !== 0) {
      throw new Error(`${command} failed: ${result.stderr || result.stdout}`);
    }
  };
  const noSync = options.durable ? [] : ['--no-sync'];
  run('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-locale', ...noSync]);
  const port = await freePort();
  const tuning = options.durable
    ? '-c shared_buffers=256MB'
    : '-c fsync=off -c synchronous_commit=off -c full_page_writes=off';
  const serverOptions = `-c listen_addresses=127.0.0.1 -p ${port} -k ${socketDir} -c max_connections=200 ${tuning}${(options.settings ?? []).map((s) => ` -c ${s}`).join('')}`;
  const start = () =>
    run('pg_ctl', [
      '-D',
      dataDir,
      '-o',
      serverOptions,
      '-w',
      '-t',
      '60',
      '-l',
      path.join(base, 'log'),
      'start',
    ]);
  const runAsync = (command: string, args: string[]) =>
    new Promise<void>((resolve, reject) => {
      const full = path.join(binDir, command);
      const child = asRoot
        ? spawn('runuser', ['-u', 'postgres', '--', full, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
        : spawn(full, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString('utf8');
      });
      child.stderr.on('data', (chunk: Buffer) => {
        output += chunk.toString('utf8');
      });
      child.once('error', reject);
      child.once('close', (code) =>
        code === 0 ? resolve() : reject(new Error(`${command} failed: ${output}`)),
      );
    });
  const restart = (mode: 'fast' | 'immediate') =>
    runAsync('pg_ctl', [
      '-D',
      dataDir,
      '-m',
      mode,
      '-o',
      serverOptions,
      '-w',
      '-t',
      '60',
      '-l',
      path.join(base, 'log'),
      'restart',
    ]);
  let frozen = false;
  const stopServer = () => {
    // A frozen server would not hear pg_ctl's stop.
    if (frozen) {
      frozen = false;
      signalServer('SIGCONT');
    }
    try {
      run('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', 'stop']);
    } catch {}
  };
  /** The postmaster (first line of postmaster.pid) and its children (backends, background workers). */
  const serverPids = (): number[] => {
    const postmaster = Number(fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    const children = fs
      .readdirSync('/proc')
      .filter((entry) => /^\d+$/.test(entry))
      .filter((entry) => {
        try {
          const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
          // Field 4 (after the parenthesised command name) is the parent pid.
          return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === postmaster;
        } catch {
          return false;
        }
      })
      .map(Number);
    return [postmaster, ...children];
  };
  const signalServer = (signal: NodeJS.Signals) => {
    for (const pid of serverPids()) {
      try {
        process.kill(pid, signal);
      } catch {}
    }
  };
  start();
  // A test process that dies before stop() must not leave a server behind.
  const stopOnExit = () => stopServer();
  process.once('exit', stopOnExit);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dataDir,
    socketDir,
    pause: stopServer,
    resume: start,
    restart,
    freeze: () => {
      frozen = true;
      signalServer('SIGSTOP');
    },
    thaw: () => {
      frozen = false;
      signalServer('SIGCONT');
    },
    stop: () => {
      process.removeListener('exit', stopOnExit);
      stopServer();
      fs.rmSync(base, { recursive: true, force: true });
    },
  };
}
