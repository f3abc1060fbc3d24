/** Reading urlencoded form bodies and query strings, whose values may be missing, one string, or repeated. */
import { SUBMISSION_ID_PATTERN } from '../../ingress/index.ts';

export type FormBody = Readonly<Record<string, string | string[] | undefined>> | undefined | null;

export function field(body: unknown, name: string): string {
  const value = (body as FormBody)?.[name];
  if (Array.isArray(value)) return value[0] ?? '';
  return typeof value === 'string' ? value : '';
}

export function fields(body: unknown, name: string): string[] {
  const value = (body as FormBody)?.[name];
  if (Array.isArray(value)) return value;
  return typeof value === 'string' && value !== '' ? [value] : [];
}

/** Where sign-in leads when it was not asked to lead anywhere we know. */
export const AFTER_SIGN_IN = '/rejections';

/** The console's own pages a sign-in may lead back to (GET routes that show something). */
const PAGES_TO_RETURN_TO: readonly RegExp[] = [
  /^\/rejections$/,
  /^\/lookup$/,
  /^\/validation$/,
  new RegExp(`^/submissions/${SUBMISSION_ID_PATTERN.source.replace(/^\^|\$$/g, '')}$`),
  /^\/queues(?:\/queue\/[A-Za-z0-9_-]{1,100})?$/,
];

/**
 * The page to go to after signing in: one the console itself routes, rebuilt from its parts,
 * or AFTER_SIGN_IN. A browser reads far more as "another site" than a prefix check can see (a
 * tab or newline it drops inside `/\t/evil`, `/\evil`, an ideographic full stop, `/..//evil`),
 * and a CR/LF in a Location header is a server error: so nothing is passed through as given.
 */
export function safeNext(raw: string): string {
  // Printable ASCII only, starting with one slash: anything else is not a link we made.
  if (raw.length > 2000 || !/^\/[\x21-\x7e]*$/.test(raw) || raw.includes('\\')) return AFTER_SIGN_IN;
  let url: URL;
  try {
    url = new URL(raw, 'http://console.invalid');
  } catch {
    return AFTER_SIGN_IN;
  }
  if (url.origin !== 'http://console.invalid') return AFTER_SIGN_IN;
  if (!PAGES_TO_RETURN_TO.some((page) => page.test(url.pathname))) return AFTER_SIGN_IN;
  const query = new URLSearchParams(url.search).toString();
  return query ? `${url.pathname}?${query}` : url.pathname;
}
