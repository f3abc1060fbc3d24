/**
 * Which clients count as one, for per-client limits (SMTP connections, public queries): an IPv4 address, or
 * an IPv6 client's /64 (one site is handed a whole /64 and can connect from any address in it,
 * so counting single IPv6 addresses would let it open connections without end).
 */
import { formatAddress, type IpVersion, parseAddress, unmapIpv4 } from './address.ts';

const IPV6_SITE = (1n << 64n) - 1n;

/**
 * A peer's address as a socket or a proxy's X-Forwarded-For gives it: `192.0.2.1`, `2001:db8::1`,
 * `::ffff:192.0.2.1` (an IPv4 client of a dual-stack listener, read as the IPv4 address it stands
 * for), or with its port, as some load balancers write it (`192.0.2.1:5678`, `[2001:db8::1]:443`).
 * Undefined when it is none of them.
 */
export function peerAddress(text: string): { version: IpVersion; value: bigint } | undefined {
  const withPort = /^(\d+\.\d+\.\d+\.\d+):\d+$/.exec(text) ?? /^\[([0-9a-f:.]+)\](?::\d+)?$/i.exec(text);
  const parsed = parseAddress(withPort ? withPort[1]! : text);
  if (!parsed) return undefined;
  const { version, start } = unmapIpv4({ version: parsed.version, start: parsed.value, end: parsed.value });
  return { version, value: start };
}

export function clientKey(remoteAddress: string | undefined): string {
  // A socket closed before it was accepted has no address left: all such count as one client.
  if (!remoteAddress) return 'unknown';
  const parsed = peerAddress(remoteAddress);
  // Text that is no address is one client, whatever it says: each spelling its own client would
  // let whoever writes it ask without limit.
  if (!parsed) return 'unreadable';
  if (parsed.version === 4) return formatAddress(4, parsed.value);
  return `${formatAddress(6, parsed.value & ~IPV6_SITE)}/64`;
}
