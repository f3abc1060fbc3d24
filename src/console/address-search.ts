/**
 * A queue search that reads as an address, a prefix or a range, in any form a person writes one
 * (`203.0.113.16/28`, `203.0.113.20`, `203.0.113.16 - 203.0.113.31`, `2001:DB8:2::/48`,
 * `2001:0db8:0002::`), is compared by number with the ranges the templates named: the worker
 * stores a template's range as numbers (its request and its `range:V:START-END` subject keys),
 * so no text form of it is there to match. A prefix with host bits set (`203.0.113.20/28`) is
 * the prefix holding that address, as ARIN's lookups take it.
 */
import {
  ADDRESS_BITS,
  cidrToRange,
  type IpRange,
  maxAddress,
  parseAddress,
  parseRange,
  unmapIpv4,
} from '../ip/index.ts';

export function addressSearch(text: string): IpRange | undefined {
  const trimmed = text.trim();
  const parsed = parseRange(trimmed);
  if (parsed.ok) return unmapIpv4(parsed.value);
  const cidr = /^([^/\\\s]+)\s*[/\\]\s*(\d{1,3})$/.exec(trimmed);
  if (!cidr) return undefined;
  const address = parseAddress(cidr[1]!);
  const prefixLength = Number(cidr[2]);
  if (!address || prefixLength > ADDRESS_BITS[address.version]) return undefined;
  const hostMask = (1n << BigInt(ADDRESS_BITS[address.version] - prefixLength)) - 1n;
  const base = address.value & ~hostMask & maxAddress(address.version);
  return unmapIpv4(cidrToRange({ version: address.version, base, prefixLength }));
}
