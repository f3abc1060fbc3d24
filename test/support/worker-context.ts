import { loadConfig } from '../../src/config/index.ts';
import type { Database } from '../../src/db/index.ts';
import { loadReplyTexts } from '../../src/replies/index.ts';
import { silentLogger } from '../../src/shared/index.ts';
import { createWorkerContext, type WorkerContext } from '../../src/worker/index.ts';

/** A worker's context on `db` with the default configuration and no log: what a test that runs one message through processSubmission needs. */
export function quietWorkerContext(db: Database): WorkerContext {
  return createWorkerContext({ config: loadConfig({}), db, logger: silentLogger(), texts: loadReplyTexts() });
}
