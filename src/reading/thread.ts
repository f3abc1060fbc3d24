/** The code of a reading thread: reads each message it is handed and posts the reading back. */
import { parentPort } from 'node:worker_threads';
import { type MessageReadOptions, readMessage } from './read-message.ts';
import { toWire } from './wire.ts';

export interface ReadRequest {
  readonly id: number;
  readonly raw: Uint8Array;
  readonly options: MessageReadOptions;
}

const port = parentPort;
if (!port) throw new Error('src/reading/thread.ts runs only as a worker thread');
port.on('message', async ({ id, raw, options }: ReadRequest) => {
  try {
    const reading = await readMessage(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength), options);
    port.postMessage({ id, wire: toWire(reading) });
  } catch (error) {
    // A bug, not the sender's doing: the job fails and is tried again, as it would in place.
    port.postMessage({
      id,
      failure: error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
  }
});
port.postMessage({ ready: true });
