/**
 * The WHOIS listener's bookkeeping on its own (whois-places.ts), with small limits and given
 * times: who is turned away, who goes to make room, when the short line time applies.
 */
import { describe, expect, it } from 'vitest';
import { networkKey } from '../../src/public/networks.ts';
import { type PlaceLimits, WhoisPlaces } from '../../src/public/whois-places.ts';

const LIMITS: PlaceLimits = {
  places: 6,
  perClient: 2,
  perNetwork: 3,
  crowdedAt: 4,
  lineTimeoutMs: 10_000,
  crowdedLineTimeoutMs: 2_000,
};

describe('WHOIS places', () => {
  it('names a client’s network: an IPv4 /24, an IPv6 /48, a mapped address as IPv4', () => {
    expect(networkKey('192.0.2.77')).toBe('192.0.2.0/24');
    expect(networkKey('::ffff:192.0.2.77')).toBe('192.0.2.0/24');
    expect(networkKey('2001:db8:1:ffff::1')).toBe('2001:db8:1::/48');
    expect(networkKey(undefined)).toBe('unknown');
  });

  it('turns away a client past its share, and a network past its share, whatever its addresses', () => {
    const places = new WhoisPlaces(LIMITS);
    expect(places.arrive('192.0.2.1', 0).admitted).toBe(true);
    expect(places.arrive('192.0.2.1', 0).admitted).toBe(true);
    expect(places.arrive('192.0.2.1', 0)).toMatchObject({ admitted: false, reason: /from your address/ });
    expect(places.arrive('192.0.2.2', 0).admitted).toBe(true);
    expect(places.arrive('192.0.2.3', 0)).toMatchObject({
      admitted: false,
      reason: /from your network \(192\.0\.2\.0\/24\)/,
    });
    expect(places.arrive('198.51.100.1', 0).admitted).toBe(true);
  });

  it('gives the short line time once crowded, and closes idle ones older than it as others come', () => {
    const places = new WhoisPlaces(LIMITS);
    const first = places.arrive('192.0.2.1', 0);
    const second = places.arrive('198.51.100.1', 0);
    expect(first).toMatchObject({ admitted: true, lineTimeoutMs: 10_000 });
    expect(second).toMatchObject({ admitted: true, lineTimeoutMs: 10_000 });
    expect(places.arrive('203.0.113.1', 1_000)).toMatchObject({ admitted: true, lineTimeoutMs: 10_000 });
    // The fourth place: crowded. The two older than 2 s go; the one 1.5 s old stays.
    const fourth = places.arrive('203.0.113.2', 2_500);
    expect(fourth).toMatchObject({ admitted: true, lineTimeoutMs: 2_000 });
    expect(fourth.evict).toEqual([first.admitted && first.place, second.admitted && second.place]);
    expect(places.taken).toBe(2);
  });

  it('with every place taken, closes the oldest idle one for a newcomer; refuses only when all are being answered', () => {
    const places = new WhoisPlaces({ ...LIMITS, crowdedAt: 100 });
    const admitted = [
      '192.0.2.1',
      '198.51.100.1',
      '203.0.113.1',
      '192.0.2.200',
      '198.51.100.200',
      '203.0.113.200',
    ].map((address, i) => places.arrive(address, i));
    const [oldest, next] = admitted.map((a) => (a.admitted ? a.place : undefined));
    // The oldest is asking: not idle, so the next oldest makes room.
    places.asking(oldest!);
    const newcomer = places.arrive('100.64.0.1', 10);
    expect(newcomer).toMatchObject({ admitted: true, evict: [next] });
    expect(places.taken).toBe(6);
    for (const a of [...admitted, newcomer]) if (a.admitted) places.asking(a.place);
    expect(places.arrive('100.64.1.1', 11)).toMatchObject({ admitted: false, reason: /busy/ });
    // Answered, a place is free at once.
    if (newcomer.admitted) places.answeredTo(newcomer.place, 12);
    expect(places.arrive('100.64.1.1', 13).admitted).toBe(true);
  });

  it('never keeps more answered-but-open connections than places, and lets them go first when crowded', () => {
    const places = new WhoisPlaces(LIMITS);
    const answered = Array.from({ length: 6 }, (_, i) => {
      const arrival = places.arrive(`10.0.${i}.1`, 0);
      if (!arrival.admitted) throw new Error('refused');
      places.asking(arrival.place);
      places.answeredTo(arrival.place, 0);
      return arrival.place;
    });
    // A seventh answered one pushes the oldest out.
    const seventh = places.arrive('10.0.9.1', 500);
    expect(seventh.evict).toEqual([answered[0]]);
    // Crowded later: those answered 1 s or more ago go.
    for (let i = 0; i < 3; i++) places.arrive(`10.1.${i}.1`, 600);
    expect(places.arrive('10.2.0.1', 1_500).evict).toEqual(answered.slice(1));
  });
});
