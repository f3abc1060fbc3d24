/**
 * Showing a stored message with its API keys hidden (raw-message.ts) reads it in every form a
 * person could decode: seconds of CPU for a 10 MB message. That work runs in a thread of its
 * own, so the console's event loop keeps answering other staff, health checks and scrapes
 * meanwhile; one thread, taking the messages in turn, with a time limit per page and a heap
 * limit, past which the thread is ended (a new one takes the next) and the page says the message
 * is not shown.
 */
import { Worker } from 'node:worker_threads';
import type { RawView } from './raw-message.ts';
import type { RawViewAnswer, RawViewRequest } from './raw-view-thread.ts';

/** How long one page's messages may take to show; a 10 MB message takes a few seconds. */
const TIME_LIMIT_MS = 60_000;
/** The thread loads tsx and the decoders: a second or so, more on a busy machine. */
const START_LIMIT_MS = 60_000;

/** From the sources (tests, tsx) an entry that registers tsx; compiled (dist/) one that does not need it. */
const ENTRY = import.meta.url.endsWith('.ts')
  ? new URL('./raw-view-entry.mjs', import.meta.url)
  : new URL('./raw-view-main.js', import.meta.url);

interface Task {
  readonly id: number;
  readonly raws: readonly Buffer[];
  resolve(views: readonly RawView[]): void;
  reject(error: Error): void;
}

/** The thread's heap: a 10 MB message is shown in well under half of it. */
const MEMORY_LIMIT_MB = 512;

const notShown = (raws: readonly Buffer[], why: string): RawView[] =>
  raws.map(() => ({ headers: [], raw: `[the message is not shown: finding every API key in it ${why}]\n` }));

class RawViewThread {
  private worker: Worker | undefined;
  private ready = false;
  private current: Task | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly waiting: Task[] = [];
  private nextId = 1;

  show(raws: readonly Buffer[]): Promise<readonly RawView[]> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ id: this.nextId++, raws, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    if (!this.worker) {
      this.start();
      return;
    }
    if (!this.ready || this.current) return;
    const task = this.waiting.shift();
    if (!task) return;
    this.current = task;
    this.timer = setTimeout(
      () => this.end(undefined, notShown(task.raws, `took more than ${TIME_LIMIT_MS / 1000} s`)),
      TIME_LIMIT_MS,
    );
    this.worker.ref();
    this.worker.postMessage({ id: task.id, raws: task.raws } satisfies RawViewRequest);
  }

  private start(): void {
    const worker = new Worker(ENTRY, { resourceLimits: { maxOldGenerationSizeMb: MEMORY_LIMIT_MB } });
    this.worker = worker;
    this.ready = false;
    this.timer = setTimeout(
      () => this.end(new Error(`the raw view's thread did not start within ${START_LIMIT_MS / 1000} s`)),
      START_LIMIT_MS,
    ).unref();
    // A thread ended here may still report (its exit among them) after the next one started.
    worker.on('message', (answer: RawViewAnswer) => {
      if (this.worker === worker) this.answer(answer);
    });
    worker.on('error', (error: Error & { code?: string }) => {
      if (this.worker !== worker) return;
      const outOfMemory = error.code === 'ERR_WORKER_OUT_OF_MEMORY' && this.current;
      if (outOfMemory)
        this.end(undefined, notShown(this.current!.raws, `needed more than ${MEMORY_LIMIT_MB} MB`));
      else this.end(error);
    });
    worker.on('exit', () => {
      if (this.worker === worker) this.end(new Error("the raw view's thread stopped"));
    });
  }

  private answer(answer: RawViewAnswer): void {
    clearTimeout(this.timer);
    if ('ready' in answer) {
      this.ready = true;
    } else if (this.current?.id === answer.id) {
      const task = this.current;
      this.current = undefined;
      if ('failure' in answer) task.reject(new Error(`showing the message failed: ${answer.failure}`));
      else task.resolve(answer.views);
    }
    // An idle thread must not keep the process alive.
    this.worker?.unref();
    this.dispatch();
  }

  /**
   * Ends the thread: the page it worked for gets `views` when the thread was stopped for it
   * (too slow), or fails with `error`; a thread that failed before it was ready fails the pages
   * waiting too (none would ever be shown). The next page starts a new thread.
   */
  private end(error?: Error, views?: readonly RawView[]): void {
    const worker = this.worker;
    if (!worker) return;
    this.worker = undefined;
    clearTimeout(this.timer);
    const task = this.current;
    this.current = undefined;
    if (task && views) task.resolve(views);
    else if (task) task.reject(error ?? new Error("the raw view's thread stopped"));
    if (!this.ready && error) for (const waiting of this.waiting.splice(0)) waiting.reject(error);
    this.ready = false;
    void worker.terminate();
    if (this.waiting.length > 0) this.dispatch();
  }
}

let thread: RawViewThread | undefined;

/** Each message as the submission page shows it (keys hidden, text bounded), off the event loop. */
export function showRawMessages(raws: readonly Buffer[]): Promise<readonly RawView[]> {
  thread ??= new RawViewThread();
  return thread.show(raws);
}
