/**
 * DNS for mail authentication. mailauth asks `(name, rrtype)` and reads `err.code`:
 * ENOTFOUND / ENODATA mean "no such record" (dkim neutral "no key", spf none), anything else
 * becomes a temporary error. Production uses the system's name servers with a short timeout,
 * so an unreachable DNS costs seconds and yields `temperror`, never a stuck job; tests pass a
 * resolver that answers from a table and never touches the network.
 */
import { promises as dns } from 'node:dns';
import type { DNSResolver } from 'mailauth';

/** What mailauth calls for every DNS question. */
export type DnsResolver = DNSResolver;

export interface SystemResolverOptions {
  /** Give up on one question after this long (default 3000 ms). */
  readonly timeoutMs?: number;
  /** Name servers as `ip` or `ip:port`; default: the system's (resolv.conf). */
  readonly servers?: readonly string[];
}

/** An error mailauth reads as "DNS failed for now" (its code is not ENOTFOUND/ENODATA). */
function timeoutError(name: string, rrtype: string, ms: number): Error & { code: string } {
  return Object.assign(new Error(`DNS ${rrtype} ${name} did not answer within ${ms} ms`), {
    code: 'ETIMEOUT',
  });
}

export function createSystemResolver(options: SystemResolverOptions = {}): DnsResolver {
  const timeoutMs = options.timeoutMs ?? 3000;
  // c-ares' own timeout is per try; one try, and our own timer as a backstop for anything slower.
  const resolver = new dns.Resolver({ timeout: timeoutMs, tries: 1 });
  if (options.servers && options.servers.length > 0) resolver.setServers([...options.servers]);
  return async (name, rrtype) => {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(timeoutError(name, rrtype, timeoutMs)), timeoutMs + 250);
    });
    try {
      const answer = await Promise.race([resolver.resolve(name, rrtype), deadline]);
      // mailauth's declared type is narrower than what MX/A answers really are; it reads them as they come.
      return answer as unknown as string[][] | string[];
    } finally {
      clearTimeout(timer);
    }
  };
}
