/** Reading addresses out of header values (`"Jane" <jane@isp.example>`, lists, groups). */
import addressparser from 'nodemailer/lib/addressparser';

const ADDRESS = /^[^\s@<>]+@[^\s@<>]+$/;

/** Every mailbox address in a header value, in order, as written (groups flattened). */
export function addressesIn(value: string | undefined): string[] {
  if (!value) return [];
  return addressparser(value, { flatten: true })
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

export function sameAddress(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}
