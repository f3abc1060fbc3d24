/**
 * Who holds the WHOIS listener's places. A query takes milliseconds, so a connection that has
 * not sent its line is a client holding a place, not asking; the limits are there so that
 * clients holding places, from however many addresses, cannot keep others from asking:
 *
 * - one client (an IPv4 address, an IPv6 /64) holds at most 10 unanswered connections, and one
 *   network (an IPv4 /24, an IPv6 /48: what one holder typically has) at most 32;
 * - past three quarters of the places, a connection has a short time for its line (and idle
 *   ones older than that are closed as new ones come);
 * - with every place taken, the oldest connection that has not sent its line (or an answered
 *   one whose client has not closed it) is closed to make room for the new one. Only when every
 *   place is a query being answered is the new one turned away.
 *
 * Pure bookkeeping (no sockets): the server asks `arrive` what to do with a new connection.
 */
import { clientKey } from '../ip/index.ts';
import { networkKey } from './networks.ts';

export interface PlaceLimits {
  /** Places for unanswered connections, all clients together. */
  readonly places: number;
  readonly perClient: number;
  readonly perNetwork: number;
  /** From this many places taken on, the short line time applies. */
  readonly crowdedAt: number;
  readonly lineTimeoutMs: number;
  readonly crowdedLineTimeoutMs: number;
}

export const DEFAULT_PLACE_LIMITS: Omit<PlaceLimits, 'lineTimeoutMs'> = {
  places: 256,
  perClient: 10,
  perNetwork: 32,
  crowdedAt: 192,
  crowdedLineTimeoutMs: 2_000,
};

export type Phase = 'waiting' | 'answering' | 'answered';

export interface Place {
  readonly client: string;
  readonly network: string;
  phase: Phase;
  /** When it entered its phase (ms): a set's order is its order. */
  since: number;
}

/** An answer has this long to be read and the connection closed before its socket may go to make room. */
const ANSWERED_GRACE_MS = 1_000;

export type Arrival =
  | {
      readonly admitted: true;
      readonly place: Place;
      readonly lineTimeoutMs: number;
      /** Connections to close now to make room (idle for too long while crowded, or the oldest idle). */
      readonly evict: readonly Place[];
    }
  | { readonly admitted: false; readonly reason: string; readonly evict: readonly Place[] };

export class WhoisPlaces {
  /** Unanswered connections, oldest first (a Set keeps insertion order). */
  private readonly waiting = new Set<Place>();
  private readonly answering = new Set<Place>();
  /** Answered, the client not gone yet: no place of their own, but the first to go when room is needed. */
  private readonly answered = new Set<Place>();
  private readonly perClient = new Map<string, number>();
  private readonly perNetwork = new Map<string, number>();

  constructor(private readonly limits: PlaceLimits) {}

  get taken(): number {
    return this.waiting.size + this.answering.size;
  }

  arrive(remoteAddress: string | undefined, now: number): Arrival {
    const client = clientKey(remoteAddress);
    const network = networkKey(remoteAddress);
    const evict: Place[] = [];
    if ((this.perClient.get(client) ?? 0) >= this.limits.perClient) {
      return {
        admitted: false,
        reason: `E_QUERY_RATE: more than ${this.limits.perClient} connections at once from your address`,
        evict,
      };
    }
    if ((this.perNetwork.get(network) ?? 0) >= this.limits.perNetwork) {
      return {
        admitted: false,
        reason: `E_QUERY_RATE: more than ${this.limits.perNetwork} connections at once from your network (${network})`,
        evict,
      };
    }
    const crowded = this.taken + 1 >= this.limits.crowdedAt;
    if (crowded) {
      evict.push(...this.olderThan(this.waiting, now, this.limits.crowdedLineTimeoutMs));
      // Answered a while ago, and the client keeps the connection: a socket held for nothing.
      evict.push(...this.olderThan(this.answered, now, ANSWERED_GRACE_MS));
    }
    for (const place of evict) this.leave(place);
    // Answered sockets have no place, but they are sockets: never more of them than places.
    if (this.answered.size >= this.limits.places) {
      const oldest = this.answered.values().next().value!;
      this.leave(oldest);
      evict.push(oldest);
    }
    if (this.taken >= this.limits.places) {
      const oldestIdle = this.waiting.values().next().value;
      if (!oldestIdle) {
        return {
          admitted: false,
          reason: 'The server is busy answering; try again in a moment',
          evict,
        };
      }
      this.leave(oldestIdle);
      evict.push(oldestIdle);
    }
    const place: Place = { client, network, phase: 'waiting', since: now };
    this.waiting.add(place);
    this.perClient.set(client, (this.perClient.get(client) ?? 0) + 1);
    this.perNetwork.set(network, (this.perNetwork.get(network) ?? 0) + 1);
    const lineTimeoutMs = crowded
      ? Math.min(this.limits.lineTimeoutMs, this.limits.crowdedLineTimeoutMs)
      : this.limits.lineTimeoutMs;
    return { admitted: true, place, lineTimeoutMs, evict };
  }

  /** The line came: the place is no longer idle, so never closed to make room. */
  asking(place: Place): void {
    if (!this.waiting.has(place)) return;
    this.waiting.delete(place);
    this.answering.add(place);
    place.phase = 'answering';
  }

  /** Answered: the place is free, though the client may still hold the socket a moment. */
  answeredTo(place: Place, now: number): void {
    if (place.phase === 'answered' || !this.holds(place)) return;
    this.release(place);
    this.answered.add(place);
    place.phase = 'answered';
    place.since = now;
  }

  /** The connection is gone (closed by either side, or evicted). */
  leave(place: Place): void {
    if (place.phase === 'answered') {
      this.answered.delete(place);
      return;
    }
    if (this.holds(place)) this.release(place);
  }

  /** The places of `set` (oldest first) that have been in their phase for `ms` or longer. */
  private olderThan(set: ReadonlySet<Place>, now: number, ms: number): Place[] {
    const old: Place[] = [];
    for (const place of set) {
      if (now - place.since < ms) break;
      old.push(place);
    }
    return old;
  }

  private holds(place: Place): boolean {
    return this.waiting.has(place) || this.answering.has(place);
  }

  private release(place: Place): void {
    this.waiting.delete(place);
    this.answering.delete(place);
    for (const [counts, key] of [
      [this.perClient, place.client],
      [this.perNetwork, place.network],
    ] as const) {
      const left = (counts.get(key) ?? 1) - 1;
      if (left > 0) counts.set(key, left);
      else counts.delete(key);
    }
  }
}
