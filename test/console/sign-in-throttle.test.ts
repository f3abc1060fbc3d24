/**
 * The sign-in throttle's rules on a clock of our own (the in-memory counter; the Redis one runs
 * the same rules in Lua and is exercised over HTTP in trust.test.ts): free tries, a doubling
 * capped wait, tries while waiting neither checked nor counted, and a client counted by its
 * IPv4 address or its IPv6 /64.
 */
import { describe, expect, it } from 'vitest';
import {
  clientNetwork,
  delayAfter,
  memoryAttemptCounter,
  type SignInBackoff,
  signInThrottle,
} from '../../src/console/sign-in-throttle.ts';

const POLICY: SignInBackoff = {
  freeAttempts: 3,
  firstDelayMs: 1_000,
  maxDelayMs: 8_000,
  forgetAfterMs: 60_000,
};

describe('the sign-in throttle', () => {
  it('doubles the wait past the free tries, up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 60].map((n) => delayAfter(n, POLICY))).toEqual([
      0, 0, 0, 1_000, 2_000, 4_000, 8_000, 8_000, 8_000,
    ]);
  });

  it('refuses tries while a key waits without counting them, so hammering does not lengthen the wait', async () => {
    let now = 0;
    const counter = memoryAttemptCounter(() => now);
    const results: number[] = [];
    for (let i = 0; i < 4; i++) results.push(await counter.reserve('k', POLICY));
    expect(results).toEqual([0, 0, 0, 0]);
    // The fourth started a 1 s wait; a thousand tries inside it are refused and change nothing.
    for (let i = 0; i < 1_000; i++) expect(await counter.reserve('k', POLICY)).toBeGreaterThan(0);
    now = 1_000;
    expect(await counter.reserve('k', POLICY)).toBe(0);
    // That was the fifth counted try: the next wait is 2 s, not a thousand doublings.
    now = 2_999;
    expect(await counter.reserve('k', POLICY)).toBe(1);
    now = 3_000;
    expect(await counter.reserve('k', POLICY)).toBe(0);
    // Forgotten after a quiet period.
    now = 3_000 + 60_001;
    expect(await counter.reserve('k', POLICY)).toBe(0);
  });

  it('checks the client before the address: a waiting client does not count against the address', async () => {
    let now = 0;
    const throttle = signInThrottle(
      memoryAttemptCounter(() => now),
      {
        perAddress: { ...POLICY, freeAttempts: 5 },
        perClient: { ...POLICY, freeAttempts: 2 },
      },
    );
    const attacker = await Promise.all(
      Array.from({ length: 50 }, () => throttle.admit('alice@registry.example', '203.0.113.66')),
    );
    expect(attacker.filter((wait) => wait === 0)).toHaveLength(3);
    // The address counted only those three: the user elsewhere is not made to wait.
    expect(await throttle.admit('alice@registry.example', '198.51.100.7')).toBe(0);
    await throttle.succeeded('alice@registry.example', '198.51.100.7');
    now = 10_000;
    expect(await throttle.admit('alice@registry.example', '198.51.100.7')).toBe(0);
  });

  it('counts an IPv6 client by its /64 and an IPv4-mapped address as IPv4', () => {
    expect(clientNetwork('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
    expect(clientNetwork('2001:db8:1:2::9')).toBe('2001:db8:1:2::/64');
    expect(clientNetwork('::ffff:203.0.113.9')).toBe('203.0.113.9');
    expect(clientNetwork('203.0.113.9')).toBe('203.0.113.9');
    // As a proxy may forward it: with a port, each port is not a new client.
    expect(clientNetwork('203.0.113.9:51234')).toBe('203.0.113.9');
    expect(clientNetwork('[2001:db8:1:2::9]:443')).toBe('2001:db8:1:2::/64');
    // Text that is no address counts as one client, not one per spelling.
    expect(clientNetwork('not-an-address')).toBe(clientNetwork('another spelling'));
  });
});
