/**
 * Reading threads: a small pool of worker threads that read messages (read-message.ts), so the
 * event loop that answers SMTP, health checks and BullMQ's lock renewals is never the one that
 * parses. Each reading has a time budget and the thread a memory limit: past either, the thread
 * is ended, a new one takes its place, and the message is answered E_MESSAGE_TOO_COMPLEX
 * instead of holding a thread (or the process) for as long as its parse would take.
 */
import { Worker } from 'node:worker_threads';
import { type Problem, problem } from '../shared/index.ts';
import type { MessageReading, MessageReadOptions } from './read-message.ts';
import type { ReadRequest } from './thread.ts';
import { fromWire, type WireReading } from './wire.ts';

export interface ReadingPoolOptions {
  /** Threads at most; each reads one message at a time. */
  readonly size: number;
  /** Wall-clock time one reading may take in its thread. */
  readonly timeLimitMs: number;
  /** Old-generation heap of one thread. */
  readonly memoryLimitMb: number;
}

type ThreadAnswer =
  | { readonly ready: true }
  | { readonly id: number; readonly wire: WireReading }
  | { readonly id: number; readonly failure: string };

interface Task {
  readonly id: number;
  readonly raw: Buffer;
  readonly options: MessageReadOptions;
  resolve(reading: MessageReading): void;
  reject(error: Error): void;
}

interface Thread {
  readonly worker: Worker;
  ready: boolean;
  task?: Task;
  timer?: NodeJS.Timeout;
}

/**
 * Compiled (dist/, what bin/hostmasterd runs) a thread starts from thread-main (source maps on,
 * then the thread); run from the sources (tests, tsx) from an entry that registers tsx first.
 */
const ENTRY = import.meta.url.endsWith('.ts')
  ? new URL('./thread-entry.mjs', import.meta.url)
  : new URL('./thread-main.js', import.meta.url);
/** A thread loads the parsers (a second or so through tsx on a busy machine); one that never gets there fails its messages. */
const START_LIMIT_MS = 60_000;

const seconds = (ms: number) => `${(ms / 1000).toLocaleString('en-US', { maximumFractionDigits: 1 })} s`;

export function tooSlow(limitMs: number): Problem {
  return problem(
    'E_MESSAGE_TOO_COMPLEX',
    `reading this message (its MIME parts and templates) took more than ${seconds(limitMs)} and was stopped; send the templates as plain text in a message of their own, at most ten per message`,
  );
}

export function tooLarge(limitMb: number): Problem {
  return problem(
    'E_MESSAGE_TOO_COMPLEX',
    `reading this message (its MIME parts and templates) needed more than ${limitMb} MB of memory and was stopped; send the templates as plain text in a message of their own, at most ten per message`,
  );
}

export class ReadingPool {
  private readonly threads = new Set<Thread>();
  private readonly queue: Task[] = [];
  private nextId = 1;
  private closed = false;

  constructor(private readonly options: ReadingPoolOptions) {}

  read(raw: Buffer, options: MessageReadOptions): Promise<MessageReading> {
    if (this.closed) return Promise.reject(new Error('the reading threads are closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, raw, options, resolve, reject });
      this.dispatch();
    });
  }

  /** Ends every thread; readings under way or waiting are rejected (their jobs run again). */
  async close(): Promise<void> {
    this.closed = true;
    for (const task of this.queue.splice(0)) task.reject(new Error('the reading threads were closed'));
    await Promise.all(
      [...this.threads].map((t) => this.end(t, new Error('the reading threads were closed'))),
    );
  }

  private dispatch(): void {
    for (const thread of this.threads) {
      if (this.queue.length === 0) return;
      if (thread.ready && !thread.task) this.give(thread, this.queue.shift()!);
    }
    const starting = [...this.threads].filter((t) => !t.ready).length;
    if (this.queue.length > starting && this.threads.size < this.options.size) this.start();
  }

  private give(thread: Thread, task: Task): void {
    thread.task = task;
    // The budget starts when a thread takes the message, not while it waits for one.
    thread.timer = setTimeout(() => {
      void this.end(thread, undefined, tooSlow(this.options.timeLimitMs));
    }, this.options.timeLimitMs);
    thread.worker.ref();
    const request: ReadRequest = { id: task.id, raw: task.raw, options: task.options };
    thread.worker.postMessage(request);
  }

  private start(): void {
    const worker = new Worker(ENTRY, {
      resourceLimits: { maxOldGenerationSizeMb: this.options.memoryLimitMb },
    });
    const thread: Thread = { worker, ready: false };
    this.threads.add(thread);
    thread.timer = setTimeout(() => {
      void this.end(thread, new Error(`a reading thread did not start within ${seconds(START_LIMIT_MS)}`));
    }, START_LIMIT_MS).unref();
    worker.on('message', (answer: ThreadAnswer) => this.answer(thread, answer));
    worker.on('error', (error: Error & { code?: string }) => {
      const outOfMemory = error.code === 'ERR_WORKER_OUT_OF_MEMORY';
      void this.end(thread, outOfMemory ? undefined : error, tooLarge(this.options.memoryLimitMb));
    });
    worker.on('exit', () => {
      void this.end(thread, new Error('a reading thread stopped'));
    });
  }

  private answer(thread: Thread, answer: ThreadAnswer): void {
    if ('ready' in answer) {
      clearTimeout(thread.timer);
      thread.ready = true;
      thread.worker.unref();
      this.dispatch();
      return;
    }
    const task = thread.task;
    if (!task || task.id !== answer.id) return;
    clearTimeout(thread.timer);
    thread.task = undefined;
    // An idle thread must not keep the process alive.
    thread.worker.unref();
    if ('failure' in answer) task.reject(new Error(`reading the message failed: ${answer.failure}`));
    else task.resolve(fromWire(answer.wire));
    this.dispatch();
  }

  /**
   * Ends a thread: its message is answered with `refusal` when the thread was stopped for it,
   * or fails with `error` (the job is tried again). A thread that failed before it was ready
   * fails the messages waiting, or every job would wait on a thread that never comes.
   */
  private async end(thread: Thread, error?: Error, refusal?: Problem): Promise<void> {
    if (!this.threads.delete(thread)) return;
    clearTimeout(thread.timer);
    const task = thread.task;
    thread.task = undefined;
    if (task) {
      if (error) task.reject(error);
      else if (refusal) task.resolve({ ok: false, problem: refusal });
    } else if (!thread.ready && error) {
      for (const waiting of this.queue.splice(0)) waiting.reject(error);
    }
    await thread.worker.terminate();
    if (!this.closed) this.dispatch();
  }
}
