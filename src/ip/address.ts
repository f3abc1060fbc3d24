/**
 * IP address arithmetic on numbers (bigint), never on strings.
 * Pure: used by the template parser (syntax) and the registry (containment, overlap).
 */
import { fail, ok, type Problem, problem, type Result } from '../shared/index.ts';

export type IpVersion = 4 | 6;

export interface IpRange {
  readonly version: IpVersion;
  readonly start: bigint;
  readonly end: bigint;
}

export interface Cidr {
  readonly version: IpVersion;
  readonly base: bigint;
  readonly prefixLength: number;
}

export const ADDRESS_BITS: Record<IpVersion, number> = { 4: 32, 6: 128 };

export function maxAddress(version: IpVersion): bigint {
  return (1n << BigInt(ADDRESS_BITS[version])) - 1n;
}

/** Accepts leading zeros (`121.143.100.000`), as billing systems write them; each octet 0-255. */
export function parseIPv4(text: string): bigint | undefined {
  const parts = text.trim().split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = (value << 8n) | BigInt(octet);
  }
  return value;
}

export function parseIPv6(text: string): bigint | undefined {
  let s = text.trim().toLowerCase();
  if (s.length === 0 || s.length > 45) return undefined;
  // An embedded IPv4 tail (::ffff:192.0.2.1) becomes two hextets.
  const v4Match = /^(.*:)(\d{1,3}(?:\.\d{1,3}){3})$/.exec(s);
  if (v4Match) {
    const v4 = parseIPv4(v4Match[2]!);
    if (v4 === undefined) return undefined;
    s = `${v4Match[1]}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const groups = halves.length === 2 ? 8 - head.length - tail.length : 0;
  if (halves.length === 2 ? groups < 1 : head.length !== 8) return undefined;
  const all = [...head, ...Array<string>(groups).fill('0'), ...tail];
  let value = 0n;
  for (const group of all) {
    if (!/^[0-9a-f]{1,4}$/.test(group)) return undefined;
    value = (value << 16n) | BigInt(Number.parseInt(group, 16));
  }
  return value;
}

export function parseAddress(text: string): { version: IpVersion; value: bigint } | undefined {
  const t = text.trim();
  if (t.includes(':')) {
    const v = parseIPv6(t);
    return v === undefined ? undefined : { version: 6, value: v };
  }
  const v = parseIPv4(t);
  return v === undefined ? undefined : { version: 4, value: v };
}

export function formatAddress(version: IpVersion, value: bigint): string {
  if (version === 4) {
    return [24n, 16n, 8n, 0n].map((shift) => ((value >> shift) & 0xffn).toString()).join('.');
  }
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((value >> BigInt(i * 16)) & 0xffffn));
  // RFC 5952: compress the longest run (>= 2) of zero groups, the first one on a tie.
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  const left = hex.slice(0, bestStart).join(':');
  const right = hex.slice(bestStart + bestLength).join(':');
  return `${left}::${right}`;
}

export function cidrToRange(cidr: Cidr): IpRange {
  const hostBits = BigInt(ADDRESS_BITS[cidr.version] - cidr.prefixLength);
  return { version: cidr.version, start: cidr.base, end: cidr.base + (1n << hostBits) - 1n };
}

export function formatCidr(cidr: Cidr): string {
  return `${formatAddress(cidr.version, cidr.base)}/${cidr.prefixLength}`;
}

export function formatRange(range: IpRange): string {
  const cidrs = rangeToCidrs(range);
  if (cidrs.length === 1) return formatCidr(cidrs[0]!);
  return `${formatAddress(range.version, range.start)} - ${formatAddress(range.version, range.end)}`;
}

/** The smallest list of CIDR blocks that exactly covers a range (e.g. 10.0.0.0-10.0.2.255 -> /23 + /24). */
export function rangeToCidrs(range: IpRange): Cidr[] {
  const bits = ADDRESS_BITS[range.version];
  const result: Cidr[] = [];
  let start = range.start;
  while (start <= range.end) {
    let size = 0; // host bits of the block we take
    while (size < bits) {
      const next = size + 1;
      const blockMask = (1n << BigInt(next)) - 1n;
      if ((start & blockMask) !== 0n) break;
      if (start + blockMask > range.end) break;
      size = next;
    }
    result.push({ version: range.version, base: start, prefixLength: bits - size });
    start += 1n << BigInt(size);
  }
  return result;
}

export function rangeSize(range: IpRange): bigint {
  return range.end - range.start + 1n;
}

/**
 * The prefix length an equally large single block would have (for size thresholds such as
 * "a /29 or larger"); for a range that is not a power of two this rounds towards the larger block.
 */
export function equivalentPrefixLength(range: IpRange): number {
  const size = rangeSize(range);
  let hostBits = 0;
  while (1n << BigInt(hostBits) < size) hostBits++;
  return ADDRESS_BITS[range.version] - hostBits;
}

export function contains(outer: IpRange, inner: IpRange): boolean {
  return outer.version === inner.version && outer.start <= inner.start && inner.end <= outer.end;
}

/** The same addresses, exactly (a net and the range a template names for it). */
export function sameRange(a: IpRange, b: IpRange): boolean {
  return a.version === b.version && a.start === b.start && a.end === b.end;
}

export function overlaps(a: IpRange, b: IpRange): boolean {
  return a.version === b.version && a.start <= b.end && b.start <= a.end;
}

/** ::ffff:0:0/96, where an IPv6 address stands for an IPv4 one (RFC 4291 2.5.5.2). */
const IPV4_MAPPED_BASE = 0xffffn << 32n;

/**
 * An IPv6 range inside ::ffff:0:0/96 as the IPv4 range it stands for (dual-stack servers log
 * IPv4 clients so, and people paste those into a lookup); any other range as it is.
 */
export function unmapIpv4(range: IpRange): IpRange {
  if (range.version !== 6) return range;
  if (range.start < IPV4_MAPPED_BASE || range.end > (IPV4_MAPPED_BASE | 0xffffffffn)) return range;
  return { version: 4, start: range.start - IPV4_MAPPED_BASE, end: range.end - IPV4_MAPPED_BASE };
}

/**
 * Parses what senders write for "IP Address and Prefix or Range":
 * `10.0.0.0/24`, `10.0.0.0\24`, `10.0.0.0 - 10.0.0.255`, `121.143.100.000/24`, `2001:db8::/48`,
 * an IPv6 range, or a bare address (a single host). A CIDR whose base has host bits set is refused.
 */
export function parseRange(text: string, field?: string): Result<IpRange, Problem> {
  const raw = text.trim();
  const bad = (message: string) => fail(problem('E_INVALID_IP', message, field ? { field } : {}));
  if (raw.length === 0) return bad('no IP address or range was given');
  const rangeMatch = /^(\S+)\s*(?:-|–|to)\s*(\S+)$/i.exec(raw);
  if (rangeMatch && !raw.includes('/') && !raw.includes('\\')) {
    const a = parseAddress(rangeMatch[1]!);
    const b = parseAddress(rangeMatch[2]!);
    if (!a || !b) return bad(`"${raw}" is not a valid address range (expected e.g. 192.0.2.0 - 192.0.2.255)`);
    if (a.version !== b.version) return bad(`"${raw}" mixes an IPv4 and an IPv6 address`);
    if (a.value > b.value) return bad(`"${raw}" ends before it starts`);
    return ok({ version: a.version, start: a.value, end: b.value });
  }
  const cidrMatch = /^([^/\\\s]+)\s*[/\\]\s*(\d{1,3})$/.exec(raw);
  if (cidrMatch) {
    const a = parseAddress(cidrMatch[1]!);
    if (!a) return bad(`"${cidrMatch[1]}" is not a valid IP address`);
    const prefixLength = Number(cidrMatch[2]);
    if (prefixLength > ADDRESS_BITS[a.version]) {
      return bad(`/${prefixLength} is not a valid IPv${a.version} prefix length`);
    }
    const range = cidrToRange({ version: a.version, base: a.value, prefixLength });
    const hostMask = range.end - range.start;
    if ((a.value & hostMask) !== 0n) {
      const base = formatAddress(a.version, a.value & ~hostMask & maxAddress(a.version));
      return bad(`"${raw}" has host bits set; did you mean ${base}/${prefixLength}?`);
    }
    return ok(range);
  }
  const single = parseAddress(raw);
  if (single) return ok({ version: single.version, start: single.value, end: single.value });
  return bad(`"${raw}" is not an IP address, prefix (192.0.2.0/24) or range (192.0.2.0 - 192.0.2.255)`);
}

/**
 * What someone looking a range up means: `parseRange`, except that a prefix whose address has
 * host bits set (`192.0.2.33/28`, refused in a template, where it is a typing mistake to correct)
 * is the prefix holding that address, as ARIN's lookups answer it.
 */
export function parseLookupRange(text: string): Result<IpRange, Problem> {
  const range = parseRange(text);
  if (range.ok) return range;
  const cidr = /^([^/\\\s]+)\s*[/\\]\s*(\d{1,3})$/.exec(text.trim());
  const address = cidr ? parseAddress(cidr[1]!) : undefined;
  if (!cidr || !address) return range;
  const prefixLength = Number(cidr[2]);
  if (prefixLength > ADDRESS_BITS[address.version]) return range;
  const hostMask = (1n << BigInt(ADDRESS_BITS[address.version] - prefixLength)) - 1n;
  const base = address.value & ~hostMask & maxAddress(address.version);
  return ok(cidrToRange({ version: address.version, base, prefixLength }));
}
