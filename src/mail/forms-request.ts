/**
 * Blank forms by mail: a Subject `form ARIN-POC` (several names: `forms ARIN-POC ARIN-ORG-5.2`),
 * `forms`, `templates` or `send templates` asks for blank forms. Which names are ours is the
 * templates room's to say; this reads only what was asked.
 */
import { requestWords } from './subject-words.ts';

/**
 * All forms, or the names as written (upper-cased; matching them is the caller's). `loose`: the
 * Subject said `template(s) ...`, which also starts Subjects of mail meant to carry templates
 * ("Templates for Acme"): the caller takes it for a request only when a name is one of ours.
 */
export type FormsRequest =
  | { readonly all: true }
  | { readonly all: false; readonly names: readonly string[]; readonly loose: boolean };

/** `[send] form|forms|template|templates [NAME...]`, after any `Re:`; names split on blanks and commas. */
const FORMS_SUBJECT =
  /^(?:(?:re|aw|sv|antw|fwd?)\s*:\s*)*(?:send\s+(?:me\s+)?)?(?:blank\s+)?(forms?|templates?)(?:\s*[:\s]\s*(.*))?$/i;

/** At most this many names are read: a Subject is no place for a catalogue. */
const MAX_NAMES = 20;

/**
 * Words of a request that name no form: `forms for POC and ORG please`, `send me blank forms:
 * POC, ORG` (and a dry run's word, taken out before: `forms POC DRY-RUN`). Every form name has a dash or is one of ours (`POC`), never one of these.
 */
const NOT_FORM_NAMES = new Set([
  'ALL',
  'PLEASE',
  'PLS',
  'PLZ',
  'THANKS',
  'THX',
  'AND',
  'OR',
  'FOR',
  'THE',
  'OF',
  'ME',
  'US',
  'A',
  'AN',
  'TO',
  'BLANK',
  'NEW',
  'FORM',
  'FORMS',
  'TEMPLATE',
  'TEMPLATES',
  // What names a key next to one (`key API-...`, `API key: ...`): the key itself is taken out.
  'KEY',
  'API',
  'APIKEY',
  'API-KEY',
]);

export function readFormsRequest(subject: string | undefined): FormsRequest | undefined {
  // A key is no form name, nor anything to send back, even redacted.
  const match = FORMS_SUBJECT.exec(requestWords(subject ?? ''));
  if (!match) return undefined;
  const names = (match[2] ?? '')
    .split(/[\s,;:&+/]+/)
    // Brackets and quotes around a name (`"ARIN-POC"`, `(POC)`) are no part of it.
    .map((name) => name.replace(/^[\s"'()[\]<>]+|[\s"'()[\]<>.!?]+$/g, '').toUpperCase())
    // A word without a letter (`-`, `2`) names no form either.
    .filter((name) => /[A-Z]/.test(name) && !NOT_FORM_NAMES.has(name))
    .slice(0, MAX_NAMES);
  const loose = /^template/i.test(match[1] ?? '');
  return names.length === 0 ? { all: true } : { all: false, names, loose };
}
