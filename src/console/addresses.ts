/**
 * E-mail addresses and domains as staff see them. A domain is shown in its ASCII form (`xn--`
 * labels as such, a Unicode label converted to them), never decoded to Unicode, so that
 * `xn--pypal-4ve.example` cannot pass for `paypal.example`. An address with anything beyond ASCII
 * is marked, naming the scripts its letters come from (Latin + Cyrillic), read from the decoded
 * labels but never shown decoded; invisible characters are shown as their code points.
 */
import { domainToASCII, domainToUnicode } from 'node:url';

/** Scripts named in the mark; a letter of any other script counts as "another script". */
const SCRIPTS = [
  'Latin',
  'Cyrillic',
  'Greek',
  'Armenian',
  'Georgian',
  'Hebrew',
  'Arabic',
  'Devanagari',
  'Thai',
  'Han',
  'Hiragana',
  'Katakana',
  'Hangul',
  'Cherokee',
] as const;
const SCRIPT_TESTS = SCRIPTS.map((name) => ({ name, test: new RegExp(`\\p{Script=${name}}`, 'u') }));

export interface ShownAddress {
  /** What to print: the domain in ASCII, invisible characters as `<U+200B>`. */
  readonly text: string;
  /** Why this address deserves a second look, or undefined when it is plain ASCII. */
  readonly warning: string | undefined;
}

/** The scripts of the letters in `text`, in order of first appearance. */
export function scriptsOf(text: string): string[] {
  const found = new Set<string>();
  for (const char of text) {
    if (!/\p{L}/u.test(char)) continue;
    found.add(SCRIPT_TESTS.find((s) => s.test.test(char))?.name ?? 'another script');
  }
  return [...found];
}

const showInvisible = (text: string) =>
  text.replace(
    /[\p{Cf}\p{Cc}\p{Zl}\p{Zp}\u00a0\u2000-\u200a\u3000]/gu,
    (c) => `<U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}>`,
  );

/** A domain as the console prints it: ASCII, `xn--` kept; undecodable input shown with its oddities visible. */
function asciiDomain(domain: string): { ascii: string; readable: string; valid: boolean } {
  const ascii = domainToASCII(domain);
  if (!ascii) return { ascii: showInvisible(domain), readable: domain, valid: false };
  return { ascii, readable: domainToUnicode(ascii) || domain, valid: true };
}

export function showAddress(raw: string): ShownAddress {
  const at = raw.lastIndexOf('@');
  const local = at >= 0 ? raw.slice(0, at) : '';
  const domain = at >= 0 ? raw.slice(at + 1) : raw;
  const { ascii, readable, valid } = asciiDomain(domain);
  const text = at >= 0 ? `${showInvisible(local)}@${ascii}` : ascii;
  const plain = /^[\x21-\x7e]*$/.test(local) && /^[\x21-\x7e]*$/.test(domain) && !/(^|\.)xn--/i.test(ascii);
  if (plain && valid) return { text, warning: undefined };
  const scripts = scriptsOf(`${local}${readable}`);
  const invisible = /[\p{Cf}\p{Cc}\p{Zl}\p{Zp}\u00a0\u2000-\u200a\u3000]/u.test(raw);
  const parts = [
    scripts.length > 1
      ? `mixed scripts: ${scripts.join(' + ')}`
      : `not plain ASCII (${scripts[0] ?? 'no letters'})`,
    ...(/(^|\.)xn--/i.test(ascii) ? ['internationalised domain, shown as xn--'] : []),
    ...(invisible ? ['invisible characters'] : []),
    ...(!valid ? ['not a valid domain name'] : []),
  ];
  return { text, warning: parts.join('; ') };
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** HTML for a page: the address, and a visible mark when it deserves a second look. */
export function addressHtml(raw: string | null | undefined, empty = '—'): string {
  if (raw === null || raw === undefined || raw === '') return escapeHtml(empty);
  const shown = showAddress(raw);
  const address = `<span class="address">${escapeHtml(shown.text)}</span>`;
  if (!shown.warning) return address;
  return `${address} <mark class="homograph" title="${escapeHtml(shown.warning)}">⚠ ${escapeHtml(shown.warning)}</mark>`;
}

/**
 * An audit actor (`staff:<email>`, `account:12`, `system`) with a staff address shown as
 * addresses are; an account, when its name is known, by its name and addresses.
 */
export function actorHtml(
  actor: string,
  account?: { readonly name: string; readonly emails: readonly string[] },
): string {
  const staff = /^staff:(.*)$/s.exec(actor);
  if (staff) return `staff:${addressHtml(staff[1])}`;
  if (account) {
    const emails = account.emails.map((e) => addressHtml(e)).join(', ');
    return `account <span class="account-name">${escapeHtml(account.name)}</span>${emails ? ` (${emails})` : ''}`;
  }
  return escapeHtml(actor);
}
