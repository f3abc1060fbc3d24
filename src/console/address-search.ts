/**
 * A queue search that reads as an address, a prefix or a range, in any form a person writes one
 * (`203.0.113.16/28`, `203.0.113.20`, `203.0.113.16 - 203.0.113.31`, `2001:DB8:2::/48`,
 * `2001:0db8:0002::`, a prefix holding an address: `203.0.113.20/28`), is compared by number with
 * the ranges the templates named: the worker stores a template's range as numbers (its request
 * and its `range:V:START-END` subject keys), so no text form of it is there to match.
 */
import { type IpRange, parseLookupRange, unmapIpv4 } from '../ip/index.ts';

export function addressSearch(text: string): IpRange | undefined {
  const parsed = parseLookupRange(text.trim());
  return parsed.ok ? unmapIpv4(parsed.value) : undefined;
}
