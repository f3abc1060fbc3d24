/**
 * `npm start` runs the daemon with the memory settings the benchmark measured for it
 * (scripts/daemon-node-flags.mjs; bench/results/before-after.md, "Eighth round, b"): V8's young
 * generation and old-generation growth as node flags, glibc's malloc trim threshold in the
 * environment (read by glibc when the process starts, so it must be in the daemon's own).
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  DAEMON_MALLOC_TUNABLES,
  DAEMON_NODE_FLAGS,
  daemonEnvironment,
} from '../../scripts/daemon-node-flags.mjs';
import { useEmbeddedDaemon } from '../pipeline/support/embedded-suite.ts';
import { spawnDaemonProcess } from '../pipeline/support/processes.ts';

/** The processes `parent` started, from /proc (their fourth stat field). */
function childrenOf(parent: number): number[] {
  return fs
    .readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === parent;
      } catch {
        return false;
      }
    })
    .map(Number);
}

const nulSeparated = (pid: number, file: string) =>
  fs.readFileSync(`/proc/${pid}/${file}`, 'utf8').split('\0').filter(Boolean);

describe('npm start on the embedded defaults', () => {
  const suite = useEmbeddedDaemon({ databaseMade: true });

  it('runs the daemon with the node flags and malloc settings of daemon-node-flags.mjs', async () => {
    const daemon = spawnDaemonProcess([], suite.env, { npmStart: true });
    suite.daemon = daemon;
    await daemon.running(120_000);
    const [daemonPid, ...others] = childrenOf(daemon.child.pid!).filter((pid) =>
      nulSeparated(pid, 'cmdline').includes('start'),
    );
    expect(others).toEqual([]);
    const argv = nulSeparated(daemonPid!, 'cmdline');
    expect(argv.slice(1, 1 + DAEMON_NODE_FLAGS.length)).toEqual([...DAEMON_NODE_FLAGS]);
    expect(argv.some((flag) => flag.startsWith('--heap-growing-percent='))).toBe(true);
    // glibc reads GLIBC_TUNABLES at start and (Debian's 2.36) leaves only the first setting of it
    // in the process's environment: what is there must be where ours begins.
    const tunables = nulSeparated(daemonPid!, 'environ')
      .find((entry) => entry.startsWith('GLIBC_TUNABLES='))
      ?.slice('GLIBC_TUNABLES='.length);
    expect(tunables).toMatch(/^glibc\.malloc\.\w+=\d+/);
    expect(DAEMON_MALLOC_TUNABLES.startsWith(tunables!)).toBe(true);
    // SIGTERM to npm start reaches the daemon, which stops cleanly.
    expect(await daemon.stop(30_000)).toBe(0);
  });

  it("leaves an operator's own GLIBC_TUNABLES as they are", () => {
    const own = { GLIBC_TUNABLES: 'glibc.malloc.arena_max=2', DATA_DIR: '/srv/hm' };
    expect(daemonEnvironment(own)).toEqual(own);
    expect(daemonEnvironment({ DATA_DIR: '/srv/hm' })).toEqual({
      DATA_DIR: '/srv/hm',
      GLIBC_TUNABLES: DAEMON_MALLOC_TUNABLES,
    });
  });
});
