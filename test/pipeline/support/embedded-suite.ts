/**
 * A describe block around one daemon on the embedded defaults: its environment made before the
 * tests, the daemon (once a test starts it) stopped and its data directory removed after them.
 */
import fs from 'node:fs';
import { afterAll, beforeAll } from 'vitest';
import { prepareEmbeddedDatabase } from './prepared-database.ts';
import { type DaemonProcess, embeddedEnv } from './processes.ts';

export interface EmbeddedSuite {
  /** Filled before the first test runs. */
  readonly env: Record<string, string>;
  /** Set by the test that starts it; stopped after the last test. */
  daemon: DaemonProcess | undefined;
}

/**
 * `databaseMade`: DATA_DIR holds the migrated database before the tests, as a restart finds it
 * (for tests about something else than the first start, which makes it).
 */
export function useEmbeddedDaemon(options: { readonly databaseMade?: boolean } = {}): EmbeddedSuite {
  const suite: EmbeddedSuite = { env: {}, daemon: undefined };
  beforeAll(async () => {
    Object.assign(suite.env, await embeddedEnv());
    if (options.databaseMade) await prepareEmbeddedDatabase(suite.env['DATA_DIR']!);
  });
  afterAll(async () => {
    await suite.daemon?.stop();
    const dataDir = suite.env['DATA_DIR'];
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });
  return suite;
}
