/**
 * The embedded defaults (`hostmasterd start` without REDIS_URL) run a private redis-server that
 * only the daemon supervises. Killed under load (an OOM kill, a crash, an operator's mistake), it
 * is started again on its socket and append-only file: mail refused meanwhile (451) is taken when
 * the sender tries again, every message taken is applied and answered once, the log says what
 * happened in JSON lines (no raw stacks streaming to stderr), and SIGTERM still ends the daemon,
 * also when sent to the process group (Ctrl-C, systemd), mail in flight: the server, in a session
 * of its own, is not stopped by it but by the daemon, last.
 */

import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_SENDER } from '../../src/registry/index.ts';
import { eventually } from '../ops/support/ops-http.ts';
import { bulkPlan } from '../ops/support/traffic.ts';
import { type SmtpSink, startSmtpSink } from '../replies/support/smtp-sink.ts';
import { preparedEmbeddedEnv } from './support/prepared-database.ts';
import {
  type DaemonProcess,
  runCommand,
  spawnDaemonProcess,
  startDaemonProcess,
} from './support/processes.ts';
import { steadyLoad, steadySender } from './support/steady-sender.ts';

/** The process group of `pid` (the fifth field of /proc/PID/stat, after the command's parentheses). */
function processGroupOf(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
}

/** The pids of the processes whose parent is `pid` and whose command line holds `word`. */
function childPids(pid: number, word: string): number[] {
  return fs.readdirSync('/proc').flatMap((entry) => {
    if (!/^\d+$/.test(entry)) return [];
    try {
      const ppid = /^PPid:\s+(\d+)$/m.exec(fs.readFileSync(`/proc/${entry}/status`, 'utf8'))?.[1];
      const command = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      return Number(ppid) === pid && command.includes(word) ? [Number(entry)] : [];
    } catch {
      return []; // gone meanwhile
    }
  });
}

describe('the embedded redis-server killed under load', () => {
  let sink: SmtpSink;
  let env: Record<string, string>;
  let daemon: DaemonProcess | undefined;

  beforeAll(async () => {
    sink = await startSmtpSink();
    env = {
      ...(await preparedEmbeddedEnv()),
      REPLY_SMTP_URL: sink.url,
      VALIDATION_RUN_AT: 'off',
      LOG_LEVEL: 'info',
    };
    const demo = await runCommand(['demo'], env, undefined, 120_000);
    expect(demo.code, demo.stderr).toBe(0);
  });
  afterAll(async () => {
    await daemon?.stop();
    await sink?.close();
    if (env?.['DATA_DIR']) fs.rmSync(env['DATA_DIR'], { recursive: true, force: true });
  });

  it('is started again; every message is taken, applied and answered once; SIGTERM still ends the daemon', async () => {
    daemon = await startDaemonProcess([], env, 120_000);
    const daemonPid = daemon.child.pid!;
    const [firstRedis] = childPids(daemonPid, 'redis-server');
    expect(firstRedis).toBeDefined();

    const plan = bulkPlan(40, { run: 31, templatesIn: () => 1 });
    const sender = steadySender({
      port: Number(env['SMTP_PORT']),
      envelope: { from: DEMO_SENDER, to: ['hostmaster@localhost'] },
    });
    const accepted = new Set<string>();
    const load = steadyLoad(sender, plan.messages, {
      pauseMs: 50,
      onAccepted: (message) => accepted.add(message.messageId),
    });
    await eventually(async () => expect(accepted.size).toBeGreaterThanOrEqual(5), 120_000, 50);
    process.kill(firstRedis!, 'SIGKILL');

    // A new server, on the same socket, under the same daemon.
    await eventually(
      async () => {
        const now = childPids(daemonPid, 'redis-server');
        expect(now).toHaveLength(1);
        expect(now[0]).not.toBe(firstRedis);
      },
      60_000,
      100,
    );
    await eventually(async () => expect(load.handedOut).toBe(plan.messages.length), 180_000, 100);
    await load.stop();
    sender.close();
    expect(accepted.size).toBe(plan.messages.length);

    const wanted = plan.messages.map((m) => m.messageId).sort();
    const repliesTo = () =>
      sink.accepted
        .filter((m) => m.rcptTo.includes(DEMO_SENDER))
        .map((m) => /^In-Reply-To: (.*)$/im.exec(m.raw)?.[1]?.trim());
    await eventually(async () => expect([...new Set(repliesTo())].sort()).toEqual(wanted), 240_000, 250);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(repliesTo().sort()).toEqual(wanted);

    const output = daemon.output();
    expect(output).toContain('embedded redis-server exited; starting it again');
    expect(output).toContain('embedded redis-server started again');
    // Every line the daemon wrote is a JSON record or its one start-up banner: no stack traces.
    const stray = output
      .split('\n')
      .filter((line) => line.trim() && !line.startsWith('{') && !line.startsWith('hostmasterd is running'));
    expect(stray).toEqual([]);

    expect(await daemon.stop(60_000)).toBe(0);
    daemon = undefined;
    expect(childPids(daemonPid, 'redis-server')).toEqual([]);
  }, 600_000);

  it('stopped by a signal to its process group (Ctrl-C, systemd) with mail in flight, it exits and leaves no server', async () => {
    const running = spawnDaemonProcess([], env, { ownProcessGroup: true });
    daemon = running;
    await running.running(120_000);
    const pid = running.child.pid!;
    const exited = new Promise<number | null>((resolve) =>
      running.child.once('exit', (code) => resolve(code)),
    );
    const sender = steadySender({
      port: Number(env['SMTP_PORT']),
      envelope: { from: DEMO_SENDER, to: ['hostmaster@localhost'] },
    });
    const plan = bulkPlan(8, { run: 32, templatesIn: () => 10 });
    const accepted = await Promise.all(plan.messages.map((message) => sender.deliver(message.raw)));
    sender.close();
    expect(accepted).toHaveLength(8);
    // The private redis-server has a session of its own, so the group's signal does not stop it
    // mid-shutdown (BullMQ then spent ~35 s reconnecting before the daemon could exit): the
    // daemon lets its running jobs finish, then stops the server itself.
    const [redisPid] = childPids(pid, 'redis-server');
    expect(redisPid).toBeDefined();
    expect(processGroupOf(redisPid!)).not.toBe(processGroupOf(pid));
    process.kill(-pid, 'SIGTERM');
    expect(await exited, running.output()).toBe(0);
    daemon = undefined;
    expect(childPids(pid, 'redis-server')).toEqual([]);
    expect(running.output()).not.toContain('embedded redis-server exited; starting it again');
  }, 600_000);
});
