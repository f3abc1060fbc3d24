/** The raw view's thread: shows each message it is handed (raw-view.ts) and posts the views back. */
import { parentPort } from 'node:worker_threads';
import { type RawView, showRawMessage } from './raw-message.ts';

export interface RawViewRequest {
  readonly id: number;
  readonly raws: readonly Uint8Array[];
}

export type RawViewAnswer =
  | { readonly ready: true }
  | { readonly id: number; readonly views: readonly RawView[] }
  | { readonly id: number; readonly failure: string };

const port = parentPort;
if (!port) throw new Error('src/console/raw-view-thread.ts runs only as a worker thread');
port.on('message', ({ id, raws }: RawViewRequest) => {
  try {
    const views = raws.map((raw) => showRawMessage(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength)));
    port.postMessage({ id, views } satisfies RawViewAnswer);
  } catch (error) {
    port.postMessage({
      id,
      failure: error instanceof Error ? (error.stack ?? error.message) : String(error),
    } satisfies RawViewAnswer);
  }
});
port.postMessage({ ready: true } satisfies RawViewAnswer);
