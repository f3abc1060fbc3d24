import { describe, expect, it } from 'vitest';
import {
  clientKey,
  equivalentPrefixLength,
  formatAddress,
  formatRange,
  parseIPv6,
  parseRange,
  peerAddress,
  rangeToCidrs,
  unmapIpv4,
} from './index.ts';

describe('parseRange', () => {
  it('reads the ways senders write a prefix', () => {
    for (const text of [
      '10.0.0.0/24',
      '10.0.0.0\\24',
      '010.000.000.000/24',
      '10.0.0.0 - 10.0.0.255',
      '10.0.0.0-10.0.0.255',
    ]) {
      const r = parseRange(text);
      expect(r.ok, text).toBe(true);
      if (r.ok) expect(formatRange(r.value)).toBe('10.0.0.0/24');
    }
  });
  it('reads IPv6 prefixes and compresses them on output', () => {
    const r = parseRange('2001:0db8:0000:0000:0000:0000:0000:0000/32');
    expect(r.ok && formatRange(r.value)).toBe('2001:db8::/32');
    expect(formatAddress(6, parseIPv6('2001:db8:0:0:1:0:0:1')!)).toBe('2001:db8::1:0:0:1');
  });
  it('keeps a range that is not one CIDR as a range with its covering blocks', () => {
    const r = parseRange('10.0.0.0 - 10.0.2.255');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(formatRange(r.value)).toBe('10.0.0.0 - 10.0.2.255');
    expect(rangeToCidrs(r.value).map((c) => `${formatAddress(4, c.base)}/${c.prefixLength}`)).toEqual([
      '10.0.0.0/23',
      '10.0.2.0/24',
    ]);
    expect(equivalentPrefixLength(r.value)).toBe(22);
  });
  it('refuses host bits, bad octets and reversed ranges with a sentence', () => {
    for (const text of [
      '10.0.0.1/24',
      '256.0.0.0/8',
      '10.0.0.9 - 10.0.0.1',
      '10.0.0/24',
      '2001:db8::/129',
      '',
    ]) {
      const r = parseRange(text, '03');
      expect(r.ok, text).toBe(false);
      if (!r.ok) {
        expect(r.error.code).toBe('E_INVALID_IP');
        expect(r.error.field).toBe('03');
      }
    }
  });
});

describe('unmapIpv4', () => {
  it('reads an address or prefix inside ::ffff:0:0/96 as IPv4, and leaves every other range alone', () => {
    const range = (text: string) => {
      const parsed = parseRange(text);
      if (!parsed.ok) throw new Error(parsed.error.message);
      return parsed.value;
    };
    expect(unmapIpv4(range('::ffff:192.0.2.1'))).toEqual(range('192.0.2.1'));
    expect(unmapIpv4(range('::ffff:c000:200/120'))).toEqual(range('192.0.2.0/24'));
    expect(unmapIpv4(range('::ffff:0:0/96'))).toEqual(range('0.0.0.0/0'));
    expect(unmapIpv4(range('::/0'))).toEqual(range('::/0'));
    expect(unmapIpv4(range('::fffe:ffff:ffff'))).toEqual(range('::fffe:ffff:ffff'));
    expect(unmapIpv4(range('2001:db8::1'))).toEqual(range('2001:db8::1'));
    expect(unmapIpv4(range('192.0.2.1'))).toEqual(range('192.0.2.1'));
  });
});

describe('peerAddress and clientKey', () => {
  it('read an IPv4-mapped peer as the IPv4 address it stands for, however it is spelled', () => {
    for (const text of ['::ffff:192.0.2.7', '::FFFF:192.0.2.7', '::ffff:c000:207', '[::ffff:c000:207]:443']) {
      expect(peerAddress(text), text).toEqual({ version: 4, value: 0xc0000207n });
      expect(clientKey(text), text).toBe('192.0.2.7');
    }
    expect(clientKey('::fffe:c000:207')).toBe('::/64');
  });
});
