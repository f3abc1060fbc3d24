/**
 * Whether an authenticated domain (a DKIM signer `d=`, or the SPF-checked envelope sender's
 * domain) speaks for the domain in From.
 *
 * Relaxed alignment in DMARC means "same organizational domain", which needs the Public Suffix
 * List to be right: the popular shortcut "last two labels" would make `evil.co.uk` align with
 * `victim.co.uk`. We have no PSL here, so we use a stricter rule that needs none: the two
 * domains align when they are equal or one is a subdomain of the other (`mail.example.com`
 * signs for `example.com`, `example.com` signs for `noc.example.com`). Siblings such as
 * `a.example.com` and `b.example.com` do not align; that refuses a few legitimate setups
 * (which can use an API key) but never accepts a stranger.
 */
import { domainToASCII } from 'node:url';

/**
 * Lower-cased ASCII, without a trailing dot; undefined when it is not a plausible domain name.
 * An internationalized name (`münchen.example`, as an SMTPUTF8 From may carry it) becomes its
 * A-label form (`xn--mnchen-3ya.example`), the form DKIM's `d=` and DNS use, so the two compare.
 */
export function normalizeDomain(domain: string | undefined): string | undefined {
  if (!domain) return undefined;
  const trimmed = domain.trim();
  // domainToASCII answers '' for what cannot be a domain name; ASCII names pass unchanged.
  const ascii = /^[\x00-\x7f]*$/.test(trimmed) ? trimmed : domainToASCII(trimmed);
  const cleaned = ascii.toLowerCase().replace(/\.$/, '');
  if (!/^[a-z0-9_](?:[a-z0-9_-]{0,62}\.)*[a-z0-9_-]{1,63}$/.test(cleaned)) return undefined;
  if (cleaned.split('.').some((label) => label === '' || label.length > 63)) return undefined;
  return cleaned;
}

/** The domain part of an address (`Name <user@Example.COM>` is not accepted: pass the bare address). */
export function domainOfAddress(address: string | undefined): string | undefined {
  if (!address) return undefined;
  const at = address.lastIndexOf('@');
  if (at <= 0) return undefined;
  return normalizeDomain(address.slice(at + 1));
}

export function domainsAlign(authenticated: string | undefined, from: string | undefined): boolean {
  const a = normalizeDomain(authenticated);
  const f = normalizeDomain(from);
  if (!a || !f) return false;
  // A bare top-level label (`com`) never speaks for anyone.
  if (!a.includes('.') || !f.includes('.')) return false;
  return a === f || a.endsWith(`.${f}`) || f.endsWith(`.${a}`);
}
