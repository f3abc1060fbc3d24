/**
 * The embedded database's thread (pglite-thread.ts): PGlite's PostgreSQL, its WebAssembly and
 * its file syncs run here, and only PostgreSQL's wire protocol crosses, as bytes. Everything
 * else PGlite does in JavaScript (locks, transactions, serialising parameters, parsing answers)
 * stays with the client on the main thread, as it does when PGlite runs in the process.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { pgliteStartOptions } from './pglite-start.ts';
import type { FromThread, ThreadStart, ToThread } from './pglite-thread-wire.ts';

const port = parentPort;
if (!port) throw new Error('src/db/pglite-thread-body.ts runs only as a worker thread');
const say = (answer: FromThread, transfer: ArrayBuffer[] = []) => port.postMessage(answer, transfer);
const { dataDir } = workerData as ThreadStart;

let pg: PGlite | undefined;
try {
  pg = await PGlite.create(pgliteStartOptions(dataDir));
} catch (error) {
  say({ kind: 'failed', message: (error as Error).message });
  port.close();
}

if (pg) {
  const db = pg;
  port.on('message', (request: ToThread) => {
    if (request.kind === 'close') {
      void db.close().then(
        () => {
          say({ kind: 'closed' });
          port.close();
        },
        (error: unknown) => {
          say({ kind: 'thrown', message: (error as Error).message, stack: (error as Error).stack });
          port.close();
        },
      );
      return;
    }
    let data: Uint8Array;
    try {
      // Synchronous: PGlite's NODEFS has nothing of its own to sync after a statement
      // (PostgreSQL's fsyncs are pglite-durable-fs.ts's, inside this call).
      data = db.execProtocolRawSync(request.message);
    } catch (error) {
      say({ kind: 'thrown', message: (error as Error).message, stack: (error as Error).stack });
      return;
    }
    // PGlite answers a copy of its buffer, ours to give away without copying it again.
    say({ kind: 'answer', data }, [data.buffer as ArrayBuffer]);
  });
  say({ kind: 'ready' });
}
