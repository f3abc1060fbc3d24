/**
 * The registry's pure rules: value checks, size thresholds, review thresholds. Values in,
 * values out; no database. (The template parser checks syntax with the same patterns; the
 * registry checks again because seed files and the console reach it without the parser.)
 */
import countries from 'i18n-iso-countries';
import { formatRange, type IpRange, rangeSize } from '../ip/index.ts';
import {
  CUSTOMER_HANDLE,
  type ErrorCode,
  fail,
  HOSTNAME,
  NET_HANDLE,
  ORG_HANDLE,
  ok,
  POC_HANDLE,
  type Problem,
  problem,
  REFERRAL_SERVER,
  type Result,
} from '../shared/index.ts';
import type { OperationOptions, PostalAddress } from './types.ts';

const EMAIL =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/;
const NET_NAME = /^[A-Z0-9][A-Z0-9_-]{0,49}$/;

export type HandleKind = 'poc' | 'org' | 'net' | 'customer';

const HANDLE_SHAPES: Record<HandleKind, { pattern: RegExp; example: string; noun: string }> = {
  poc: { pattern: POC_HANDLE, example: 'JD123-ARIN', noun: 'a POC handle' },
  org: { pattern: ORG_HANDLE, example: 'EXAMPLE-1', noun: 'an Org ID' },
  net: { pattern: NET_HANDLE, example: 'NET-192-0-2-0-1', noun: 'a net handle' },
  customer: { pattern: CUSTOMER_HANDLE, example: 'C01234567', noun: 'a customer handle' },
};

/** Handles are compared upper-case and trimmed, however the sender wrote them. */
export function normalizeHandle(raw: string): string {
  return raw.trim().toUpperCase();
}

export function checkHandle(kind: HandleKind, raw: string): Result<string, Problem> {
  const handle = normalizeHandle(raw);
  const shape = HANDLE_SHAPES[kind];
  if (shape.pattern.test(handle)) return ok(handle);
  return fail(problem('E_INVALID_HANDLE', `"${raw.trim()}" is not ${shape.noun} (like ${shape.example})`));
}

export function isCountryCode(code: string): boolean {
  return /^[A-Z]{2}$/.test(code) && countries.isValid(code);
}

export function checkCountry(raw: string, what = 'country'): Result<string, Problem> {
  const code = raw.trim().toUpperCase();
  if (isCountryCode(code)) return ok(code);
  return fail(
    problem('E_INVALID_COUNTRY', `${what} "${raw}" is not an ISO 3166 alpha-2 code (like US, CA, DE)`),
  );
}

export function isEmail(raw: string): boolean {
  return EMAIL.test(raw.trim());
}

export function checkEmails(raw: readonly string[], what = 'e-mail address'): Result<string[], Problem> {
  const emails = [...new Set(raw.map((e) => e.trim().toLowerCase()).filter(Boolean))];
  if (emails.length === 0) return fail(problem('E_MISSING_FIELD', `at least one ${what} is required`));
  const badOne = emails.find((e) => !isEmail(e));
  if (badOne) return fail(problem('E_INVALID_EMAIL', `"${badOne}" is not a valid ${what}`));
  return ok(emails);
}

/** Network names are upper-cased: letters, digits, `-` and `_`, at most 50 characters. */
export function checkNetName(raw: string): Result<string, Problem> {
  const name = raw.trim().toUpperCase();
  if (NET_NAME.test(name)) return ok(name);
  return fail(
    problem(
      'E_INVALID_NET_NAME',
      `"${raw.trim()}" is not a valid network name (letters, digits, "-" and "_", at most 50 characters)`,
    ),
  );
}

/** A network name from a customer's name: `Acme Widgets, Inc.` -> `ACME-WIDGETS-INC`. */
export function netNameFromCustomer(customerName: string, privateResidence: boolean): string {
  if (privateResidence) return 'PRIVATE-CUSTOMER';
  const derived = customerName
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  return derived || 'CUSTOMER';
}

export function checkHostnames(raw: readonly string[]): Result<string[], Problem> {
  const names = raw.map((h) => h.trim().toLowerCase().replace(/\.$/, '')).filter(Boolean);
  const badOne = names.find((h) => !HOSTNAME.test(h));
  if (badOne) return fail(problem('E_INVALID_HOSTNAME', `"${badOne}" is not a valid name server host name`));
  return ok([...new Set(names)]);
}

export function checkOriginAs(raw: readonly number[]): Result<number[], Problem> {
  const badOne = raw.find((n) => !Number.isInteger(n) || n < 1 || n > 4_294_967_295);
  if (badOne !== undefined)
    return fail(problem('E_INVALID_ORIGIN_AS', `AS${badOne} is not a valid AS number`));
  return ok([...new Set(raw)]);
}

export function checkReferralServer(raw: string): Result<string, Problem> {
  const value = raw.trim();
  if (REFERRAL_SERVER.test(value)) return ok(value);
  return fail(
    problem('E_INVALID_FIELD', `"${value}" is not a referral server (like rwhois://rwhois.example.net:4321)`),
  );
}

export function checkAddress(address: PostalAddress, what: string): Result<PostalAddress, Problem> {
  if (!address.city.trim()) return fail(problem('E_MISSING_FIELD', `${what} city is required`));
  const country = checkCountry(address.country, `${what} country`);
  if (!country.ok) return country;
  return ok({
    street: address.street.map((s) => s.trim()).filter(Boolean),
    city: address.city.trim(),
    state: address.state?.trim() || undefined,
    postalCode: address.postalCode?.trim() || undefined,
    country: country.value,
  });
}

/**
 * Smallest block we register (docs/architecture.md section 4): IPv4 /29 or larger and IPv6 /56 or shorter must be
 * reported; smaller ones may be refused. We refuse IPv4 smaller than a /29 (fewer than 8
 * addresses) and IPv6 longer than a /64 (a /64 is the smallest routable IPv6 subnet, so /57-/64
 * are accepted though not required). Staff may waive it (`waive: ['E_PREFIX_TOO_SMALL']`).
 */
export const SMALLEST_BLOCK: Record<4 | 6, { size: bigint; prefix: number }> = {
  4: { size: 8n, prefix: 29 },
  6: { size: 1n << 64n, prefix: 64 },
};

export function checkPrefixSize(range: IpRange, options: OperationOptions): Result<IpRange, Problem> {
  const smallest = SMALLEST_BLOCK[range.version];
  if (rangeSize(range) >= smallest.size || waived(options, 'E_PREFIX_TOO_SMALL')) return ok(range);
  return fail(
    problem(
      'E_PREFIX_TOO_SMALL',
      `${formatRange(range)} is smaller than a /${smallest.prefix}; the registry records IPv${range.version} ` +
        `reassignments of a /${smallest.prefix} or larger (ask hostmaster staff if you need an exception)`,
    ),
  );
}

/** IPv4 reassignments and reallocations of a /20 (4096 addresses) or larger go to staff review first. */
export const REVIEW_IPV4_SIZE = 4096n;

export function sizeNeedsReview(range: IpRange): boolean {
  return range.version === 4 && rangeSize(range) >= REVIEW_IPV4_SIZE;
}

export function waived(options: OperationOptions, code: ErrorCode): boolean {
  return options.waive?.includes(code) ?? false;
}

/** Empty strings are "not given". */
export function optionalText(value: string | null | undefined): string | null {
  const trimmed = value?.trim();
  return trimmed ? trimmed : null;
}

export function cleanList(values: readonly string[] | null | undefined): string[] {
  return (values ?? []).map((v) => v.trim()).filter(Boolean);
}

export { CUSTOMER_HANDLE, NET_HANDLE, ORG_HANDLE, POC_HANDLE };
