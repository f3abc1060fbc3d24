/**
 * The embedded database in a thread of its own, for the daemon.
 *
 * In one thread, the daemon's main thread ran the ingress, the worker's JavaScript, the outbox
 * and PGlite's PostgreSQL (its WebAssembly, ~26% of the thread under the bench) and waited there
 * for every commit's fdatasync (~16%): the process used one of the machine's cores for all of it.
 * Here PostgreSQL runs in a worker thread (pglite-thread-body.ts) and the main thread keeps a
 * client that is PGlite's own code above the wire protocol: PGlite's BasePGlite (its query,
 * exec, transaction and locks, exactly as in the process) with the one method under them,
 * running protocol messages, sent to the thread as bytes and PostgreSQL's answer parsed here.
 * So statements, errors (PGlite's DatabaseError with every field), transactions and our named
 * statements (pglite-statements.ts) behave as they do in the process; a commit is answered
 * after PostgreSQL's own fsync in the thread, so durability is unchanged.
 *
 * A thread that dies (a WebAssembly trap, out of memory) is the daemon's crash: every statement
 * waiting fails, and the error is thrown where nothing catches it, as an uncaught error in the
 * process would be (the daemon exits, its redis-server with it; a restart recovers from the WAL).
 * A daemon that went on without its database would answer nothing and never say why.
 */
import { Worker } from 'node:worker_threads';
import {
  type ExecProtocolOptions,
  type ExecProtocolResult,
  Mutex,
  messages,
  PGlite,
  protocol,
} from '@electric-sql/pglite';
import { ProblemError, problem } from '../shared/index.ts';
import {
  beginAnswer,
  endingStatus,
  isLoneBegin,
  isLoneSync,
  isSimpleQuery,
  readyForQuery,
  withBegin,
  withoutBeginAnswer,
} from './pglite-thread-trips.ts';
import type { FromThread, ThreadStart, ToThread } from './pglite-thread-wire.ts';

type BackendMessage = ExecProtocolResult['messages'][number];

/**
 * What BasePGlite, PGlite's class above the wire protocol, gives its subclasses. The package
 * exports only its subclasses, so the class is PGlite's prototype (below).
 */
type BasePGliteSurface = Pick<
  PGlite,
  'query' | 'sql' | 'exec' | 'transaction' | 'runExclusive' | 'describeQuery' | 'serializers' | 'parsers'
> & { _initArrayTypes(): Promise<void> };

const BasePGlite = Object.getPrototypeOf(PGlite) as abstract new () => BasePGliteSurface;

const ENTRY = import.meta.url.endsWith('.ts')
  ? new URL('./pglite-thread-entry.mjs', import.meta.url)
  : new URL('./pglite-thread-main.js', import.meta.url);

/** A message this large is handed to the thread without a copy (a 10 MiB mail's insert). */
const TRANSFER_FROM_BYTES = 64 * 1024;

interface Waiting {
  resolve(data: Uint8Array): void;
  reject(error: Error): void;
}

/** PGlite's client for a database that runs in a thread of its own. Open with openPgliteThread(). */
export class ThreadedPGlite extends BasePGlite {
  readonly debug = 0;
  readonly #worker: Worker;
  /** The thread answers in the order asked. */
  readonly #waiting: Waiting[] = [];
  readonly #queryMutex = new Mutex();
  readonly #transactionMutex = new Mutex();
  #closing = false;
  #closed = false;
  /** Why the thread is gone, once it is, when not closed. */
  #lost: Error | undefined;
  #whenClosed: (() => void) | undefined;
  /** A BEGIN answered here, to be sent in front of the next message (pglite-thread-trips.ts). */
  #heldBegin = false;
  /** After a simple Query that answered ReadyForQuery: its status, which a Sync would only repeat. */
  #readyAfterQuery: number | undefined;
  #trips = 0;

  constructor(worker: Worker) {
    super();
    this.#worker = worker;
    worker.on('message', (answer: FromThread) => this.#answer(answer));
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Messages sent to the thread so far. */
  get trips(): number {
    return this.#trips;
  }

  /**
   * The thread ended: everything waiting fails. False when that was asked for (closing) or
   * already known, so the loss is reported once.
   */
  lose(error: Error): boolean {
    if (this.#closing || this.#closed || this.#lost) return false;
    this.#lost = error;
    for (const waiting of this.#waiting.splice(0)) waiting.reject(error);
    return true;
  }

  #answer(answer: FromThread): void {
    if (answer.kind === 'closed') this.#whenClosed?.();
    // `ready` and `failed` are the opening's (openPgliteThread), before anything is asked.
    if (answer.kind !== 'answer' && answer.kind !== 'thrown') return;
    const waiting = this.#waiting.shift();
    if (!waiting) return;
    if (answer.kind === 'answer') waiting.resolve(answer.data);
    else {
      const error = new Error(answer.message);
      if (answer.stack) error.stack = answer.stack;
      waiting.reject(error);
    }
  }

  #ask(request: ToThread, transfer: ArrayBuffer[] = []): Promise<Uint8Array> {
    if (this.#lost) return Promise.reject(this.#lost);
    return new Promise((resolve, reject) => {
      this.#waiting.push({ resolve, reject });
      this.#trips++;
      this.#worker.postMessage(request, transfer);
    });
  }

  /**
   * PostgreSQL's bytes for `message`, in the thread, but for the two messages answered here
   * (pglite-thread-trips.ts). PGlite's NODEFS has nothing to sync after it (syncToFs).
   */
  async execProtocolRaw(message: Uint8Array, _options: ExecProtocolOptions = {}): Promise<Uint8Array> {
    const ready = this.#readyAfterQuery;
    this.#readyAfterQuery = undefined;
    if (ready !== undefined && isLoneSync(message)) return readyForQuery(ready);
    if (!this.#heldBegin && isLoneBegin(message)) {
      this.#heldBegin = true;
      this.#readyAfterQuery = endingStatus(beginAnswer());
      return beginAnswer();
    }
    const held = this.#heldBegin;
    this.#heldBegin = false;
    const sent = held ? withBegin(message) : message;
    const whole = sent.byteOffset === 0 && sent.byteLength === sent.buffer.byteLength;
    // Small messages are copied (cheap, and the caller's bytes stay its own); a large one
    // owning its buffer is given away: its sender never reuses it (PGlite's and ours).
    const transfer = whole && sent.byteLength >= TRANSFER_FROM_BYTES ? [sent.buffer as ArrayBuffer] : [];
    const data = await this.#ask({ kind: 'exec', message: sent }, transfer);
    const answer = held ? withoutBeginAnswer(data) : data;
    if (isSimpleQuery(message)) this.#readyAfterQuery = endingStatus(answer);
    return answer;
  }

  async execProtocolRawStream(
    message: Uint8Array,
    options: ExecProtocolOptions & { onRawData: (data: Uint8Array) => void },
  ): Promise<void> {
    options.onRawData(await this.execProtocolRaw(message, options));
  }

  /** As PGlite's: the answer parsed; the first error thrown when asked to, with nothing after it kept. */
  async execProtocol(
    message: Uint8Array,
    { throwOnError = true, onNotice }: ExecProtocolOptions = {},
  ): Promise<ExecProtocolResult> {
    const data = await this.execProtocolRaw(message);
    const results: BackendMessage[] = [];
    let databaseError: messages.DatabaseError | undefined;
    new protocol.Parser().parse(data, (msg) => {
      if (databaseError) return;
      if (msg instanceof messages.DatabaseError) {
        if (throwOnError) databaseError = msg;
      } else if (msg instanceof messages.NoticeMessage) {
        onNotice?.(msg);
      }
      results.push(msg);
    });
    if (databaseError) throw databaseError;
    return { messages: results, data };
  }

  async execProtocolStream(
    message: Uint8Array,
    options: ExecProtocolOptions = {},
  ): Promise<BackendMessage[]> {
    return (await this.execProtocol(message, options)).messages;
  }

  /** NODEFS syncs nothing after a statement: PostgreSQL's commits fsync in the thread. */
  async syncToFs(): Promise<void> {}

  /** COPY to or from a file: none of ours; PGlite's would need the file in the thread. */
  async _handleBlob(blob?: Blob): Promise<void> {
    if (blob) throw new Error('COPY with a file is not available on the embedded database in its own thread');
  }

  async _getWrittenBlob(): Promise<undefined> {
    return undefined;
  }

  async _cleanupBlob(): Promise<void> {}

  async _checkReady(): Promise<void> {
    if (this.#lost) throw this.#lost;
    if (this.#closing) throw new Error('PGlite is closing');
    if (this.#closed) throw new Error('PGlite is closed');
  }

  _runExclusiveQuery<T>(fn: () => Promise<T>): Promise<T> {
    return this.#queryMutex.runExclusive(fn);
  }

  _runExclusiveTransaction<T>(fn: () => Promise<T>): Promise<T> {
    return this.#transactionMutex.runExclusive(fn);
  }

  /** LISTEN/NOTIFY: none of ours. */
  async listen(): Promise<never> {
    throw new Error('LISTEN is not available on the embedded database in its own thread');
  }

  /** As PGlite's close(): after the transaction and the statement in progress; then the thread ends. */
  async close(): Promise<void> {
    if (this.#closed || this.#closing) return;
    this.#closing = true;
    try {
      if (!this.#lost) {
        await this.#transactionMutex.runExclusive(() =>
          this.#queryMutex.runExclusive(async () => {
            const closed = new Promise<void>((resolve) => {
              this.#whenClosed = resolve;
            });
            this.#worker.postMessage({ kind: 'close' } satisfies ToThread);
            await Promise.race([closed, new Promise((resolve) => this.#worker.once('exit', resolve))]);
          }),
        );
      }
    } finally {
      this.#closed = true;
      this.#closing = false;
      await this.#worker.terminate();
    }
  }
}

/** The thread, opening the database in `dataDir` (openPgliteThread waits for it). */
export function startPgliteThread(dataDir: string): Worker {
  return new Worker(ENTRY, { workerData: { dataDir } satisfies ThreadStart });
}

export interface PgliteThreadOptions {
  /**
   * Told when the thread ends without being closed, after every waiting statement failed. By
   * default the error is thrown where nothing catches it: the process's crash (see the head of
   * this file).
   */
  readonly onLost?: (error: Error) => void;
  /** A thread already started by startPgliteThread (tests hold it to end it); else one is. */
  readonly thread?: Worker;
}

const crash = (error: Error) => {
  process.nextTick(() => {
    throw error;
  });
};

/** Opens the database in `dataDir` in a thread of its own. */
export async function openPgliteThread(
  dataDir: string,
  options: PgliteThreadOptions = {},
): Promise<ThreadedPGlite> {
  const worker = options.thread ?? startPgliteThread(dataDir);
  const onLost = options.onLost ?? crash;
  const client = new ThreadedPGlite(worker);
  const started = new Promise<void>((resolve, reject) => {
    const onStart = (answer: FromThread) => {
      if (answer.kind === 'ready') resolve();
      else if (answer.kind === 'failed') reject(new Error(answer.message));
      else return;
      worker.off('message', onStart);
    };
    worker.on('message', onStart);
    worker.once('exit', (code) =>
      reject(new Error(`the embedded database's thread ended (exit code ${code})`)),
    );
    worker.once('error', reject);
  });
  try {
    await started;
  } catch (error) {
    await worker.terminate();
    throw error;
  }
  const lost = (why: string) => {
    const error = new ProblemError(
      problem('E_DATABASE_UNAVAILABLE', `the embedded database's thread ended: ${why}`),
    );
    if (client.lose(error)) onLost(error);
  };
  worker.on('error', (error) => lost(error.stack ?? error.message));
  worker.on('exit', (code) => lost(`exit code ${code}`));
  await client._initArrayTypes();
  return client;
}
