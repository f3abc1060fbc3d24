/**
 * Field value syntax: one validator per kind of value. Each takes the trimmed text of one line
 * and returns the typed value or a code and a sentence (the caller adds field and line).
 * Registry rules (does the handle exist, is the range ours) are not checked here.
 */
import { type IpRange, parseRange } from '../ip/index.ts';
import {
  type ErrorCode,
  HOSTNAME,
  lineBreakName,
  NET_HANDLE,
  ORG_HANDLE,
  oneSpaceBlanks,
  POC_HANDLE,
  REFERRAL_SERVER,
} from '../shared/index.ts';
import { API_KEY_EXACT, malformedKeyMessage } from './api-key.ts';
import { countryCodes } from './country-codes.ts';
import { suggestCountry } from './country-suggestion.ts';

export type Scalar = string | boolean | IpRange | readonly number[];

export type Checked =
  | { readonly ok: true; readonly value: Scalar }
  | {
      readonly ok: false;
      readonly code: ErrorCode;
      readonly message: string;
      /**
       * What the sender evidently meant (`USA` -> `US`): refused all the same, but the checks that
       * depend on it (a US address needs a state) run with it, so one reply names every problem.
       */
      readonly meant?: Scalar;
    };

export type FieldKind =
  | 'apiKey'
  | 'action'
  | 'text'
  | 'freeText'
  | 'pocHandle'
  | 'orgHandle'
  | 'country'
  | 'email'
  | 'phone'
  | 'phoneExtension'
  | 'ipRange'
  | 'ipv4Range'
  | 'ipv6Range'
  | 'originAs'
  | 'yesNo'
  | 'contactType'
  | 'netPocType'
  | 'referralServer'
  | 'hostname'
  | 'netName';

const good = (value: Scalar): Checked => ({ ok: true, value });
const bad = (code: ErrorCode, message: string): Checked => ({ ok: false, code, message });

/** Values are echoed in messages; keep them short so one absurd line doesn't flood a reply. */
export function quote(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 57)}...` : text);
}

const EMAIL =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/;
const PHONE = /^\+?[0-9][0-9 ().\-/]{3,30}(?:\s*(?:x|ext\.?)\s*\d{1,8})?$/i;
const NET_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,49}$/;

function checkRange(raw: string, want?: 4 | 6): Checked {
  const r = parseRange(raw);
  if (!r.ok) return bad('E_INVALID_IP', r.error.message);
  if (want && r.value.version !== want) {
    const other = want === 4 ? 'an IPv6' : 'an IPv4';
    return bad('E_INVALID_IP', `${quote(raw)} is ${other} address, but this form is for IPv${want} only`);
  }
  return good(r.value);
}

/** `AS64500, 64501 AS64502`: commas or spaces, `AS` prefix optional; duplicates dropped. */
export function parseOriginAs(raw: string): Checked {
  const parts = raw.split(/[\s,;]+/).filter((p) => p.length > 0);
  if (parts.length === 0) return bad('E_INVALID_ORIGIN_AS', 'no AS number was given');
  if (parts.length > 100) return bad('E_INVALID_ORIGIN_AS', 'more than 100 origin AS numbers');
  const seen = new Set<number>();
  for (const part of parts) {
    const m = /^(?:AS)?(\d{1,10})$/i.exec(part);
    const n = m ? Number(m[1]) : Number.NaN;
    if (!(n >= 1 && n <= 4294967295)) {
      return bad('E_INVALID_ORIGIN_AS', `${quote(part)} is not an AS number (write e.g. AS64500, 64501)`);
    }
    seen.add(n);
  }
  return good([...seen]);
}

const VALIDATORS: Record<FieldKind, (raw: string) => Checked> = {
  apiKey: (raw) =>
    API_KEY_EXACT.test(raw) ? good(raw.toUpperCase()) : bad('E_INVALID_API_KEY', malformedKeyMessage(raw)),
  action: (raw) => {
    const m = /^(N|M|R|NEW|MODIFY|REMOVE)$/i.exec(raw);
    return m
      ? good(m[1]!.charAt(0).toUpperCase())
      : bad('E_INVALID_ACTION', `${quote(raw)} is not a registration action`);
  },
  // Stored as a person reads it: a TAB, an NBSP, two spaces are one space (shared/blanks.ts).
  text: (raw) => good(oneSpaceBlanks(raw)),
  freeText: (raw) => good(raw),
  pocHandle: (raw) =>
    POC_HANDLE.test(raw.toUpperCase())
      ? good(raw.toUpperCase())
      : bad('E_INVALID_HANDLE', `${quote(raw)} is not a POC handle (like JD123-ARIN)`),
  orgHandle: (raw) =>
    ORG_HANDLE.test(raw.toUpperCase())
      ? good(raw.toUpperCase())
      : bad('E_INVALID_HANDLE', `${quote(raw)} is not an Org ID (like EXAMPLE-1)`),
  country: (raw) => {
    const code = raw.toUpperCase();
    if (/^[A-Z]{2}$/.test(code) && countryCodes().isValid(code)) return good(code);
    const meant = suggestCountry(raw);
    const hint = meant ? `; did you mean ${meant}?` : ' (like US, CA, DE)';
    const message = `${quote(raw)} is not an ISO 3166 two-letter country code${hint}`;
    return { ...bad('E_INVALID_COUNTRY', message), ...(meant ? { meant } : {}) };
  },
  email: (raw) =>
    EMAIL.test(raw) && raw.length <= 254
      ? good(raw)
      : bad('E_INVALID_EMAIL', `${quote(raw)} is not an e-mail address`),
  phone: (raw) =>
    PHONE.test(raw) && (raw.match(/\d/g) ?? []).length >= 5
      ? good(raw)
      : bad('E_INVALID_PHONE', `${quote(raw)} is not a phone number (like +1-703-555-0100)`),
  phoneExtension: (raw) =>
    /^\d{1,8}$/.test(raw)
      ? good(raw)
      : bad('E_INVALID_PHONE', `${quote(raw)} is not a phone extension (digits only)`),
  ipRange: (raw) => checkRange(raw),
  ipv4Range: (raw) => checkRange(raw, 4),
  ipv6Range: (raw) => checkRange(raw, 6),
  originAs: parseOriginAs,
  yesNo: (raw) => {
    if (/^(Y|YES)$/i.test(raw)) return good(true);
    if (/^(N|NO)$/i.test(raw)) return good(false);
    return bad('E_INVALID_VALUE', `${quote(raw)} is not Yes or No`);
  },
  contactType: (raw) => {
    if (/^(P|PERSON)$/i.test(raw)) return good('person');
    if (/^(R|ROLE)$/i.test(raw)) return good('role');
    return bad('E_INVALID_VALUE', `${quote(raw)} is not a contact type (P for person, R for role)`);
  },
  netPocType: (raw) => {
    const v = raw.toUpperCase();
    if (v === 'T' || v === 'TECH') return good('tech');
    if (v === 'AB' || v === 'ABUSE') return good('abuse');
    if (v === 'N' || v === 'NOC') return good('noc');
    return bad('E_INVALID_VALUE', `${quote(raw)} is not a net POC type (T, AB or N)`);
  },
  referralServer: (raw) =>
    REFERRAL_SERVER.test(raw)
      ? good(raw)
      : bad('E_INVALID_VALUE', `${quote(raw)} is not a referral server (rwhois://host:port)`),
  hostname: (raw) =>
    HOSTNAME.test(raw)
      ? good(raw.toLowerCase().replace(/\.$/, ''))
      : bad('E_INVALID_VALUE', `${quote(raw)} is not a host name`),
  netName: (raw) =>
    NET_NAME.test(raw)
      ? good(raw.toUpperCase())
      : bad('E_INVALID_VALUE', `${quote(raw)} is not a network name (letters, digits, - and _, at most 50)`),
};

/** Default length caps per kind (characters of one line); a field spec may set its own. */
export const DEFAULT_MAX_LENGTH: Record<FieldKind, number> = {
  apiKey: 80,
  action: 10,
  text: 255,
  freeText: 4000,
  pocHandle: 40,
  orgHandle: 60,
  country: 10,
  email: 254,
  phone: 40,
  phoneExtension: 10,
  ipRange: 100,
  ipv4Range: 100,
  ipv6Range: 100,
  originAs: 1200,
  yesNo: 5,
  contactType: 10,
  netPocType: 10,
  referralServer: 270,
  hostname: 254,
  netName: 50,
};

/**
 * Characters no value may hold: C0 and C1 controls but TAB and LF (free text spans lines), DEL,
 * their stand-ins from the Control Pictures block (the mail room shows a control character as one,
 * `␀` for NUL), the line and paragraph separators U+2028 and U+2029, and U+FFFD, which a decoder
 * leaves where bytes did not fit the charset. Stored, they would be garbage in whois, or (NUL)
 * make every try of the job fail in PostgreSQL; a line break (below) would split the value into
 * lines of its own wherever it is written.
 */
const UNFIT =
  /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u2028\u2029\u202A-\u202E\u2066-\u2069\u2400-\u2421\uFFFD]/;

/**
 * Bidirectional embeddings, overrides and isolates: a value holding one displays in an order
 * nobody wrote (`Acme \u202eetaivirP\u202c Inc` reads "Acme Private Inc"), in WHOIS, in our
 * mail, in the console. Refused as control characters are; marks (LRM, RLM) stay.
 */
const BIDI_NAMES: Readonly<Record<number, string>> = {
  8234: 'LEFT-TO-RIGHT EMBEDDING',
  8235: 'RIGHT-TO-LEFT EMBEDDING',
  8236: 'POP DIRECTIONAL FORMATTING',
  8237: 'LEFT-TO-RIGHT OVERRIDE',
  8238: 'RIGHT-TO-LEFT OVERRIDE',
  8294: 'LEFT-TO-RIGHT ISOLATE',
  8295: 'RIGHT-TO-LEFT ISOLATE',
  8296: 'FIRST STRONG ISOLATE',
  8297: 'POP DIRECTIONAL ISOLATE',
};

/**
 * The characters a common reader ends a line at (shared's LINE_BREAK: VT, FF, CR, FS, GS, RS,
 * NEL, LS, PS), as themselves or as the pictures the mail room hands the C0 ones on as. Refused
 * with a code of their own: a billing system filling a template from its customer's data must
 * learn that the customer's name holds a line break, which would otherwise put a line of the
 * customer's into every mail and WHOIS answer that names it.
 */
const LINE_BREAK_IN_VALUE = /[\u000B-\u000D\u001C-\u001E\u0085\u2028\u2029\u240B-\u240D\u241C-\u241E]/;

const CONTROL_NAMES = (
  'NUL SOH STX ETX EOT ENQ ACK BEL BS TAB LF VT FF CR SO SI ' +
  'DLE DC1 DC2 DC3 DC4 NAK SYN ETB CAN EM SUB ESC FS GS RS US'
).split(' ');

/** `NUL (U+0000, shown as ␀)`, `ESC (U+001B)`, `U+0085`. */
function controlName(code: number, shownAs: string | undefined): string {
  const hex = `U+${code.toString(16).toUpperCase().padStart(4, '0')}${shownAs ? `, shown as ${shownAs}` : ''}`;
  const name = code < 0x20 ? CONTROL_NAMES[code] : code === 0x7f ? 'DEL' : undefined;
  return name ? `${name} (${hex})` : hex;
}

/** `"Acme"` before position `at`, or that it is the value's start. */
function placeOf(raw: string, at: number): string {
  const before = raw.slice(Math.max(0, at - 20), at);
  return before.trim() ? `after ${quote(before)}` : 'at the start of the value';
}

/** The character at `at`, and whether it came as its picture: the mail room hands C0 controls and DEL on as U+2400 + code (DEL U+2421). */
function controlAt(raw: string, at: number): { readonly code: number; readonly shown?: string } {
  const code = raw.charCodeAt(at);
  if (code < 0x2400 || code > 0x2421) return { code };
  return { code: code === 0x2421 ? 0x7f : code - 0x2400, shown: String.fromCharCode(code) };
}

/** Undefined when the value holds none of UNFIT; else the sentence that refuses it. */
function unfitCharacter(raw: string): Checked | undefined {
  const at = raw.search(UNFIT);
  if (at < 0) return undefined;
  // UNFIT holds every line break: searched for only in the rare value that holds one of them.
  const breakAt = raw.search(LINE_BREAK_IN_VALUE);
  if (breakAt >= 0) {
    const { code, shown } = controlAt(raw, breakAt);
    const name = lineBreakName(code) ?? controlName(code, undefined);
    const named = shown ? name.replace(/\)$/, `; shown as ${shown})`) : name;
    return bad(
      'E_LINE_BREAK_CHARACTER',
      `the value holds ${named} ${placeOf(raw, breakAt)}, which mail programs and billing systems may read as the end of a line: retype the value without it`,
    );
  }
  const where = placeOf(raw, at);
  if (raw.charCodeAt(at) === 0xfffd) {
    return bad(
      'E_UNREADABLE_CHARACTER',
      `the value holds a character that could not be read (shown as \uFFFD) ${where}: its bytes did not fit the character set the message declared; retype it, and have your mail program send UTF-8`,
    );
  }
  const bidi = BIDI_NAMES[raw.charCodeAt(at)];
  if (bidi)
    return bad(
      'E_CONTROL_CHARACTER',
      `the value holds the bidirectional control ${bidi} (U+${raw.charCodeAt(at).toString(16).toUpperCase()}) ${where}, which makes text display in an order other than written; retype the value without it`,
    );
  const { code, shown } = controlAt(raw, at);
  return bad(
    'E_CONTROL_CHARACTER',
    `the value holds the control character ${controlName(code, shown)} ${where}, which no field may hold; retype the value without it`,
  );
}

export function checkValue(kind: FieldKind, raw: string, maxLength = DEFAULT_MAX_LENGTH[kind]): Checked {
  const unfit = unfitCharacter(raw);
  if (unfit) return unfit;
  // A country written as its name is a wrong country (with a suggestion), not a too long value.
  if (raw.length > maxLength && kind !== 'country') {
    return bad('E_TOO_LONG', `the value is ${raw.length} characters long; at most ${maxLength} are allowed`);
  }
  return VALIDATORS[kind](raw);
}

export { NET_HANDLE, ORG_HANDLE, POC_HANDLE };
