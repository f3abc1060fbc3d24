/**
 * A sender's MTA under a steady load, for the tests that take the daemon or its database away
 * meanwhile: a message refused for now (4xx) or whose connection failed is tried again a little
 * later, until it is taken (250, the submission id read from it) or refused for good (5xx, which
 * fails the test).
 */
import nodemailer from 'nodemailer';

export interface SteadySenderOptions {
  readonly port: number;
  readonly envelope: { readonly from: string; readonly to: readonly string[] };
  /** The refusals tried again, besides a failed connection (no answer at all): every 4xx unless told. */
  readonly tryAgainOn?: (code: number) => boolean;
}

export interface SteadySender {
  /** Delivers one message, trying again as an MTA does; resolves to the submission id of its 250. */
  deliver(raw: string | Buffer): Promise<string>;
  /** Tries refused for now or lost with their connection, so far. */
  readonly triedAgain: number;
  close(): void;
}

/** An MTA gives up after days; here a try every 200 ms for two minutes. */
const TRY_AGAIN_AFTER_MS = 200;
const MAX_TRIES = 600;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const isTemporary = (code: number) => code >= 400 && code < 500;

export function steadySender(options: SteadySenderOptions): SteadySender {
  const client = nodemailer.createTransport({
    host: '127.0.0.1',
    port: options.port,
    ignoreTLS: true,
    pool: true,
    maxConnections: 4,
  });
  const envelope = { from: options.envelope.from, to: [...options.envelope.to] };
  const tryAgainOn = options.tryAgainOn ?? isTemporary;
  let triedAgain = 0;
  return {
    async deliver(raw) {
      for (let tries = 1; ; tries++) {
        let response: string;
        try {
          response = (await client.sendMail({ envelope, raw })).response;
        } catch (error) {
          const code = (error as { responseCode?: number }).responseCode;
          if ((code !== undefined && !tryAgainOn(code)) || tries >= MAX_TRIES) throw error;
          triedAgain++;
          await sleep(TRY_AGAIN_AFTER_MS);
          continue;
        }
        const id = /Accepted as (\S+)/.exec(response)?.[1];
        if (!id) throw new Error(`unexpected answer ${response}`);
        return id;
      }
    },
    get triedAgain() {
      return triedAgain;
    },
    close: () => client.close(),
  };
}

export interface SteadyLoad {
  /** Messages taken from the list so far; once stopped, every one of them was accepted. */
  readonly handedOut: number;
  /** Lets each sender finish the message in hand, then resolves. */
  stop(): Promise<void>;
}

/**
 * `senders` loops, each delivering the next message of the list and pausing `pauseMs` (a steady
 * flow rather than one burst), until the list is done or `stop` is called.
 */
export function steadyLoad<M extends { readonly raw: string }>(
  sender: SteadySender,
  messages: readonly M[],
  options: { readonly senders?: number; readonly pauseMs: number; onAccepted(message: M, id: string): void },
): SteadyLoad {
  let next = 0;
  let stopping = false;
  const loops = Array.from({ length: options.senders ?? 4 }, async () => {
    while (!stopping && next < messages.length) {
      const message = messages[next++]!;
      options.onAccepted(message, await sender.deliver(message.raw));
      await sleep(options.pauseMs);
    }
  });
  const all = Promise.all(loops);
  return {
    get handedOut() {
      return next;
    },
    async stop() {
      stopping = true;
      await all;
    },
  };
}
