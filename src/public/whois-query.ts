/**
 * A WHOIS query line, read as ARIN reads it: an address, a range or a CIDR, a handle, or a name;
 * optionally led by a type flag (`n` net, `o` org, `p` POC, `c` customer, `a` autonomous system),
 * `+` for full detail (the holder's and the POCs' blocks) and `!` for "a handle"; a name (a
 * NetName, an org's, a POC's or a customer's) may end in `*` to match a prefix; `?` asks for help.
 * An address with host bits set under a prefix length (`192.0.2.33/28`) is the prefix holding
 * it, as ARIN answers it. Pure.
 */
import { type IpRange, parseLookupRange } from '../ip/index.ts';
import { CUSTOMER_HANDLE, NET_HANDLE, ORG_HANDLE, POC_HANDLE } from '../shared/index.ts';

export type ObjectFlag = 'net' | 'org' | 'poc' | 'customer' | 'asn';

export type WhoisQuery =
  | { readonly kind: 'help' }
  | { readonly kind: 'bad'; readonly reason: string }
  | { readonly kind: 'asn'; readonly text: string }
  | { readonly kind: 'net-range'; readonly range: IpRange; readonly full: boolean }
  | { readonly kind: 'net-handle'; readonly handle: string; readonly full: boolean }
  | { readonly kind: 'org' | 'poc' | 'customer'; readonly handle: string; readonly full: boolean }
  | {
      readonly kind: 'name';
      /** One kind (a flag); nets, orgs, POCs and customers when absent. */
      readonly only: 'net' | 'org' | 'poc' | 'customer' | undefined;
      readonly text: string;
      readonly prefix: boolean;
      readonly full: boolean;
    };

/** Longer than any address, handle or name worth asking for. */
export const MAX_QUERY_LENGTH = 256;

const FLAGS: Record<string, ObjectFlag> = {
  n: 'net',
  o: 'org',
  p: 'poc',
  c: 'customer',
  a: 'asn',
  e: 'customer',
};

export function parseWhoisQuery(line: string): WhoisQuery {
  const text = line.trim();
  if (text.length > MAX_QUERY_LENGTH) {
    return { kind: 'bad', reason: `a query is at most ${MAX_QUERY_LENGTH} characters` };
  }
  if (text === '') return { kind: 'bad', reason: 'the query is empty; send ? for help' };
  // NUL and its kin reach no statement: PostgreSQL refuses them, which would read as our failure.
  if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(text))
    return { kind: 'bad', reason: 'a query holds no control characters' };
  if (text === '?' || /^help$/i.test(text)) return { kind: 'help' };
  const words = text.split(/\s+/);
  let flag: ObjectFlag | undefined;
  let full = false;
  let handleOnly = false;
  while (words.length > 1) {
    const word = words[0]!.toLowerCase();
    if (word === '+') full = true;
    else if (word === '!') handleOnly = true;
    else if (word === '-' || word === '=') {
      // ARIN's "summary" and "exact": the answer is the same here.
    } else if (FLAGS[word] && flag === undefined) flag = FLAGS[word];
    else break;
    words.shift();
  }
  const argument = words.join(' ');
  if (argument === '?') return { kind: 'help' };
  if (flag === 'asn') return { kind: 'asn', text: argument };
  const upper = argument.toUpperCase();
  const range = parseLookupRange(argument);
  if (range.ok && !handleOnly) {
    if (flag && flag !== 'net') {
      return {
        kind: 'bad',
        reason: `"${argument}" is an address or range; ask for it without "${flagLetter(flag)}" or with "n"`,
      };
    }
    return { kind: 'net-range', range: range.value, full };
  }
  if (NET_HANDLE.test(upper) && (flag === undefined || flag === 'net'))
    return { kind: 'net-handle', handle: upper, full };
  if (POC_HANDLE.test(upper) && (flag === undefined || flag === 'poc'))
    return { kind: 'poc', handle: upper, full };
  if (CUSTOMER_HANDLE.test(upper) && (flag === undefined || flag === 'customer')) {
    return { kind: 'customer', handle: upper, full };
  }
  if (ORG_HANDLE.test(upper) && (flag === undefined || flag === 'org'))
    return { kind: 'org', handle: upper, full };
  if (handleOnly) return { kind: 'bad', reason: `"${argument}" is not a handle` };
  const prefix = argument.endsWith('*');
  const name = prefix ? argument.slice(0, -1).trim() : argument;
  if (name.length < 2 && prefix)
    return { kind: 'bad', reason: 'a name search needs at least two characters before *' };
  if (name.length === 0) return { kind: 'bad', reason: 'the query is empty; send ? for help' };
  return { kind: 'name', only: flag, text: name, prefix, full };
}

function flagLetter(flag: ObjectFlag): string {
  return Object.entries(FLAGS).find(([, f]) => f === flag)?.[0] ?? flag;
}

export const WHOIS_HELP = [
  'Queries (one line; the answer follows and the connection closes):',
  '  192.0.2.1            the most specific net holding the address, and its parents',
  '  192.0.2.0/24         the same for a CIDR; 192.0.2.0 - 192.0.2.255 for a range',
  '  NET-192-0-2-0-1      a net by its handle',
  '  DEMOISP-1            an org by its Org ID',
  '  DEMO1-ARIN           a POC by its handle',
  '  C01234567            a customer by its handle',
  '  Demo ISP             nets, orgs, POCs and customers by name; end it with * for a prefix (Demo*)',
  'Flags before the query, as ARIN takes them:',
  '  n  nets only        o  orgs only        p  POCs only        c  customers only',
  '  a  autonomous systems (none are registered here)',
  '  +  full detail: the holder and its POCs as well',
  '  !  the query is a handle',
  'Example: n + 192.0.2.1',
];
