/**
 * Which clients share a network, for the limits one holder must not escape by spreading over
 * its addresses: an IPv4 /24 or an IPv6 /48 (what one site typically holds: a home or an office
 * is handed a /48 or a /56, so counting its /64s alone lets it ask 65,536 times as often).
 */
import { formatAddress, peerAddress } from '../ip/index.ts';

const IPV4_HOSTS = 0xffn;
const IPV6_HOSTS = (1n << 80n) - 1n;

/** `192.0.2.0/24` or `2001:db8:1::/48`; whatever is no address counts as one network (`clientKey`). */
export function networkKey(remoteAddress: string | undefined): string {
  if (!remoteAddress) return 'unknown';
  const parsed = peerAddress(remoteAddress);
  if (!parsed) return 'unreadable';
  if (parsed.version === 4) return `${formatAddress(4, parsed.value & ~IPV4_HOSTS)}/24`;
  return `${formatAddress(6, parsed.value & ~IPV6_HOSTS)}/48`;
}
