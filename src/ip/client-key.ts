/**
 * Which clients count as one, for per-client limits (SMTP connections, public queries): an IPv4 address, or
 * an IPv6 client's /64 (one site is handed a whole /64 and can connect from any address in it,
 * so counting single IPv6 addresses would let it open connections without end).
 */
import { formatAddress, parseAddress } from './address.ts';

const IPV6_SITE = (1n << 64n) - 1n;

export function clientKey(remoteAddress: string | undefined): string {
  // A socket closed before it was accepted has no address left: all such count as one client.
  if (!remoteAddress) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(remoteAddress);
  const parsed = parseAddress(mapped ? mapped[1]! : remoteAddress);
  if (!parsed) return remoteAddress;
  if (parsed.version === 4) return formatAddress(4, parsed.value);
  return `${formatAddress(6, parsed.value & ~IPV6_SITE)}/64`;
}
