/**
 * A fixed number of places, given in turn: how many large messages the ingress holds in memory
 * at once, and how many it writes to the embedded database at once. A message held whole costs
 * its size (thirty 10 MB messages at once held over a gigabyte), and PGlite blocks the event loop
 * /healthz shares for each statement. Whoever waits for a place waits in order, and gives up after
 * a time or when its connection goes away.
 */

/** Gives the place back; calling it again does nothing. */
export type Release = () => void;

interface Waiter {
  /** Hands the place over; false when the waiter had already given up (the place must go on). */
  readonly grant: (release: Release) => boolean;
}

export class DataGate {
  private inside = 0;
  private readonly queue: Waiter[] = [];

  constructor(readonly capacity: number) {}

  /** Messages waiting for a place. */
  get waiting(): number {
    return this.queue.length;
  }

  /**
   * A place, as soon as one is free; undefined when `timeoutMs` passed or `signal` aborted first
   * (the connection went away): then nothing is held.
   */
  enter(timeoutMs: number, signal?: AbortSignal): Promise<Release | undefined> {
    if (this.inside < this.capacity && this.queue.length === 0) {
      this.inside++;
      return Promise.resolve(this.place());
    }
    return new Promise((resolve) => {
      let settled = false;
      const leave = () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', leave);
        const at = this.queue.indexOf(waiter);
        if (at >= 0) this.queue.splice(at, 1);
        resolve(undefined);
      };
      const waiter: Waiter = {
        grant: (release) => {
          if (settled) return false;
          settled = true;
          clearTimeout(timer);
          signal?.removeEventListener('abort', leave);
          resolve(release);
          return true;
        },
      };
      const timer = setTimeout(leave, timeoutMs);
      timer.unref();
      if (signal?.aborted) return leave();
      signal?.addEventListener('abort', leave, { once: true });
      this.queue.push(waiter);
    });
  }

  /** The release of a place held: it passes to the next waiter, or frees it. */
  private place(): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.passOn();
    };
  }

  /**
   * Gives a freed place to the next waiter on a later turn of the event loop: handed over at
   * once, one message after another would be written to the embedded database (which blocks the
   * loop while it works) without /healthz or a socket ever being served in between.
   */
  private passOn(): void {
    const next = this.queue.shift();
    if (!next) {
      this.inside--;
      return;
    }
    setImmediate(() => {
      if (!next.grant(this.place())) this.passOn();
    });
  }
}
