/**
 * Reads one message from its DATA stream into memory, within bounds. A message may grow to
 * `smallBytes` on its own (a template is a few kilobytes); past that it needs one of the gate's
 * places, which bounds how many large messages are in memory at once, and it waits for one unread
 * (TCP holds the sender back). So clients slowly sending large messages can keep other large
 * messages waiting, but never the small ones. The message must keep up a minimum pace throughout.
 */
import type { SMTPServerDataStream } from 'smtp-server';
import type { DataGate, Release } from './data-gate.ts';
import { MessageBuffer, type ReceivedMessage } from './message-buffer.ts';

export interface ReceiveOptions {
  readonly gate: DataGate;
  /** Up to this size a message needs no place. */
  readonly smallBytes: number;
  /** The longest a message waits for a place. */
  readonly placeWaitMs: number;
  readonly minBytesPerSecond: number;
  /** The pace is judged over each window of this length. */
  readonly paceWindowMs: number;
  /** Runs a wait the client spends waiting for us (for a place): its clocks stop meanwhile. */
  readonly waitingForUs: <T>(work: () => Promise<T>) => Promise<T>;
}

export type Reception =
  /** Received whole; `release` gives back its place (a no-op for a small message): call it once stored. */
  | { readonly kind: 'message'; readonly message: ReceivedMessage; readonly release: Release }
  /** Past the size limit: read to the end and dropped. */
  | { readonly kind: 'too-large'; readonly bytes: number }
  /** Slower than the minimum pace over a window; the stream is left unread. */
  | { readonly kind: 'too-slow' }
  /** No place came in time; the stream is left unread. */
  | { readonly kind: 'no-place' }
  /** The stream failed (the client went away). */
  | { readonly kind: 'failed'; readonly error: Error };

export function receiveMessage(stream: SMTPServerDataStream, options: ReceiveOptions): Promise<Reception> {
  return new Promise((resolve) => {
    const message = new MessageBuffer();
    const gone = new AbortController();
    let release: Release | undefined;
    let settled = false;
    let waitingForPlace = false;
    let windowBytes = 0;
    const minimum = (options.minBytesPerSecond * options.paceWindowMs) / 1000;

    const settle = (reception: Reception) => {
      if (settled) return;
      settled = true;
      clearInterval(pace);
      stream.removeListener('data', onData);
      if (reception.kind !== 'message') {
        message.drop();
        release?.();
        // Unread from here on: whatever the client still sends waits until the connection closes.
        stream.pause();
      }
      resolve(reception);
    };

    const pace = setInterval(() => {
      if (!waitingForPlace && windowBytes < minimum) settle({ kind: 'too-slow' });
      windowBytes = 0;
    }, options.paceWindowMs);
    pace.unref();

    const onData = (chunk: Buffer) => {
      windowBytes += chunk.length;
      // Past the size limit keep reading (the client must finish DATA to hear our 552) but keep nothing.
      if (stream.sizeExceeded) {
        message.drop();
        return;
      }
      message.add(chunk);
      if (release || message.length <= options.smallBytes) return;
      stream.pause();
      waitingForPlace = true;
      options
        .waitingForUs(() => options.gate.enter(options.placeWaitMs, gone.signal))
        .then((place) => {
          waitingForPlace = false;
          windowBytes = minimum; // the window spent waiting is not the client's
          if (settled) {
            place?.();
            return;
          }
          if (!place) return settle({ kind: 'no-place' });
          release = place;
          stream.resume();
        });
    };

    stream.on('data', onData);
    stream.on('error', (error) => {
      gone.abort();
      settle({ kind: 'failed', error });
    });
    stream.on('end', () => {
      if (stream.sizeExceeded) return settle({ kind: 'too-large', bytes: stream.byteLength });
      settle({ kind: 'message', message: message.finish(), release: release ?? (() => {}) });
    });
  });
}
