/** Reading addresses out of header values (`"Jane" <jane@isp.example>`, lists, groups). */
import type addressparserType from 'nodemailer/lib/addressparser';
import { lazyPackage } from '../shared/index.ts';

/** Loaded on first use (see shared's lazyPackage), like the rest of nodemailer. */
const addressparser = lazyPackage<typeof addressparserType>('nodemailer/lib/addressparser');

/** A local part as a dot-atom writes it (`jane.doe`, `billing+tag`, `jörg`): no blank, `@`, `<>` or quote. */
const PLAIN_LOCAL = /^[^\s@<>"]+$/;
/**
 * A local part as RFC 5322's quoted-string writes it (`"john doe"`, `"a\\"b"`, `"@"`): what
 * addressparser gives back, quotes kept, when the local part needs them (a blank, a quote, a
 * backslash, an `@`...).
 */
const QUOTED_LOCAL = /^"(?:[^"\\]|\\.)*"$/;
const DOMAIN_PART = /^[^\s@<>"]+$/;
/** Control characters and line separators: no address holds one, and a header must not. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** `local@domain`, its local part plain or quoted (as addressparser returns it). */
function isAddress(address: string): boolean {
  const at = address.lastIndexOf('@');
  if (at < 1 || CONTROL.test(address)) return false;
  const local = address.slice(0, at);
  return DOMAIN_PART.test(address.slice(at + 1)) && (PLAIN_LOCAL.test(local) || QUOTED_LOCAL.test(local));
}

/**
 * Every mailbox address in a header value, in order, as written (groups flattened): a quoted
 * local part stays quoted (`"john doe"@isp.example`), as it is sent to (RCPT TO and To).
 */
export function addressesIn(value: string | undefined): string[] {
  if (!value) return [];
  return addressparser()(value, { flatten: true })
    .map((m) => m.address.trim())
    .filter(isAddress);
}

/** The first mailbox address in a header value, if any. */
export function firstAddress(value: string | undefined): string | undefined {
  return addressesIn(value)[0];
}

/**
 * `Mailer-Daemon@Example.org` -> `mailer-daemon`; a quoted local part as the mailbox it names,
 * without its quotes and escapes (`"No Reply"@x` -> `no reply`, `"a\\"b"@x` -> `a"b`): the loop
 * rules must see the words in it however they are written.
 */
export function localPart(address: string): string {
  const local = address.slice(0, address.lastIndexOf('@'));
  const unquoted = QUOTED_LOCAL.test(local) ? local.slice(1, -1).replace(/\\(.)/g, '$1') : local;
  return unquoted.toLowerCase();
}

/** `jane@ISP.Example.` -> `isp.example.` (as written, lower-cased; '' when there is no `@`). */
export function domainPart(address: string): string {
  const at = address.lastIndexOf('@');
  return at < 0
    ? ''
    : address
        .slice(at + 1)
        .trim()
        .toLowerCase();
}

/**
 * The mailbox an address reaches, for telling whether two spellings are one mailbox: case, a
 * `+tag`, dots in the local part, a trailing dot or brackets around the domain make no other
 * mailbox (`Host.Master+x@Registry.Example.` is `hostmaster@registry.example`). Too loose to
 * send to; right for recognising ourselves, where a false match only costs a reply.
 */
export function mailboxKey(address: string): string {
  const local = localPart(address.trim()).replace(/\+.*$/, '').replace(/\./g, '');
  const domain = domainPart(address)
    .replace(/^\[|\]$/g, '')
    .replace(/\.+$/, '');
  return `${local}@${domain}`;
}

/** The same mailbox, however it is spelled (see mailboxKey). */
export function sameAddress(a: string, b: string): boolean {
  return mailboxKey(a) === mailboxKey(b);
}
