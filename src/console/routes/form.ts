/**
 * Reading urlencoded form bodies and query strings, whose values may be missing, one string, or
 * repeated; and the one check every value passes before any route reads it (`refusedInput`).
 */
import { SUBMISSION_ID_PATTERN } from '../../ingress/index.ts';
import { type Problem, problem } from '../../shared/index.ts';
import { isCalendarDay } from '../calendar.ts';

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
  /^\/undelivered$/,
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

/** Fields that hold lines of text: a template, or what staff write (line breaks and tabs belong there). */
const MULTI_LINE_FIELDS: ReadonlySet<string> = new Set(['text', 'note', 'message', 'answer', 'reason']);

/** Never stored nor shown: hashed, so no character of theirs reaches SQL or a page. */
const SECRET_FIELDS: ReadonlySet<string> = new Set([
  'password',
  'current_password',
  'new_password',
  'repeat_password',
]);

/** NUL: PostgreSQL stores no text holding it, so a value with one could only fail its statement. */
const NUL = /\0/;
/** Control characters: no search, id, handle, address or choice of ours holds one. */
const ONE_LINE_CONTROL = /[\0-\x1f\x7f]/;

/** What the console answers a request it cannot read, instead of a server error: 400 and the sentence. */
export class InputRefused extends Error {
  readonly statusCode = 400;
  constructor(readonly problem: Problem) {
    super(problem.message);
    this.name = 'InputRefused';
  }
}

/**
 * Read only by `safeNext`, which rebuilds a page of ours from it or falls back to the queue: a
 * sign-in link that carries junk still signs in and lands on the console, never on an error.
 */
const REBUILT_FIELDS: ReadonlySet<string> = new Set(['next']);

function controlCharacterIn(name: string, value: string): Problem | undefined {
  if (SECRET_FIELDS.has(name) || REBUILT_FIELDS.has(name)) return undefined;
  const found = (MULTI_LINE_FIELDS.has(name) ? NUL : ONE_LINE_CONTROL).exec(value);
  if (!found) return undefined;
  const code = found[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
  return problem(
    'E_BAD_INPUT',
    `the field "${name.slice(0, 40)}" holds a control character (U+${code}), which no value of it can hold; nothing was done`,
  );
}

/**
 * The first value of a request's query string, body or path that no route could use: checked
 * once for every route before it runs, so no junk reaches a SQL statement (or a log line as an
 * error). Nested values (a JSON body's objects) are read by no route (`field` takes strings).
 */
export function refusedInput(parts: readonly unknown[]): Problem | undefined {
  // Characters no value may hold first, wherever they are; then the shapes of ids.
  for (const check of [
    (name: string, one: string) => controlCharacterIn(name, one) ?? controlCharacterIn(name, name),
    idProblem,
  ]) {
    for (const part of parts) {
      if (part === null || typeof part !== 'object') continue;
      for (const [name, value] of Object.entries(part)) {
        const values = Array.isArray(value) ? value : [value];
        for (const one of values) {
          if (typeof one !== 'string') continue;
          const found = check(name, one);
          if (found) return found;
        }
      }
    }
  }
  return undefined;
}

/**
 * A row's number as the console writes it in its links and forms: digits, no sign, no leading
 * zero, no exponent, no hex (`Number()` reads `0x10`, `16e0`, `+16` and `16.0` all as 16, and an
 * action would fall on a row nobody named). Anything else is no row of ours.
 */
export function rowId(text: string): number | undefined {
  if (!/^[1-9][0-9]{0,14}$/.test(text)) return undefined;
  return Number(text);
}

const SUBMISSION_ID_LIKE = /^S[0-9A-Za-z]{1,64}$/;
const NUMBER_LIKE = /^[\s+-]*(?:0[xob][0-9a-f]*|[0-9]*\.?[0-9]+(?:e[+-]?[0-9]*)?\.?)\s*$/i;

/** Fields that name a row by its number: `id` (a rejection, audit row or mail; or a submission id), `basedOn` (a version). */
function idProblem(name: string, value: string): Problem | undefined {
  if (name === 'basedOn' && value !== '' && rowId(value) === undefined) {
    return problem(
      'E_BAD_INPUT',
      `the field "basedOn" must be the number of the version edited, not "${value.slice(0, 40)}"; nothing was done`,
    );
  }
  // A number written another way than ours (0x10, 16e0, +16, 16.0, 016, -1, too long): JavaScript
  // would read most as a row. Anything else must at least look like a submission id (S...), looked
  // up as such; other words (`abc` among a bulk action's ids) are no row of ours.
  if (
    name === 'id' &&
    rowId(value) === undefined &&
    (NUMBER_LIKE.test(value) || !SUBMISSION_ID_LIKE.test(value))
  ) {
    return problem(
      'E_BAD_INPUT',
      `the field "id" must be a row number written as the console writes it (1, 2, 3...), not "${value.slice(0, 40)}"; nothing was done`,
    );
  }
  return undefined;
}

/** A day field of a query (`from`, `to`, `as-of`): empty, or a real day; else why not. */
export function dayProblem(name: string, value: string): Problem | undefined {
  if (value === '' || isCalendarDay(value)) return undefined;
  return problem(
    'E_BAD_INPUT',
    `the field "${name}" must be a day of the calendar written YYYY-MM-DD (UTC), not "${value.slice(0, 40)}"; nothing was shown`,
  );
}
