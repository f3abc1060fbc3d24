/**
 * A describe block around one daemon on the embedded defaults: its environment made before the
 * tests, the daemon (once a test starts it) stopped and its data directory removed after them.
 */
import fs from 'node:fs';
import { afterAll, beforeAll } from 'vitest';
import { type DaemonProcess, embeddedEnv } from './processes.ts';

export interface EmbeddedSuite {
  /** Filled before the first test runs. */
  readonly env: Record<string, string>;
  /** Set by the test that starts it; stopped after the last test. */
  daemon: DaemonProcess | undefined;
}

export function useEmbeddedDaemon(): EmbeddedSuite {
  const suite: EmbeddedSuite = { env: {}, daemon: undefined };
  beforeAll(async () => {
    Object.assign(suite.env, await embeddedEnv());
  });
  afterAll(async () => {
    await suite.daemon?.stop();
    const dataDir = suite.env['DATA_DIR'];
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });
  return suite;
}
