/** Reading addresses out of header values (`"Jane" <jane@isp.example>`, lists, groups). */
import type addressparserType from 'nodemailer/lib/addressparser';
import { lazyPackage } from '../shared/index.ts';

/** Loaded on first use (see shared's lazyPackage), like the rest of nodemailer. */
const addressparser = lazyPackage<typeof addressparserType>('nodemailer/lib/addressparser');

const ADDRESS = /^[^\s@<>]+@[^\s@<>]+$/;

/** Every mailbox address in a header value, in order, as written (groups flattened). */
export function addressesIn(value: string | undefined): string[] {
  if (!value) return [];
  return addressparser()(value, { flatten: true })
    .map((m) => m.address.trim())
    .filter((a) => ADDRESS.test(a));
}

/** The first mailbox address in a header value, if any. */
export function firstAddress(value: string | undefined): string | undefined {
  return addressesIn(value)[0];
}

/** `Mailer-Daemon@Example.org` -> `mailer-daemon`. */
export function localPart(address: string): string {
  return address.slice(0, address.lastIndexOf('@')).toLowerCase();
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
