/**
 * Blank forms by mail: a Subject `form ARIN-POC` (several names: `forms ARIN-POC ARIN-ORG-5.2`),
 * `forms`, `templates` or `send templates` asks for blank forms. Which names are ours is the
 * templates room's to say; this reads only what was asked.
 */

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

export function readFormsRequest(subject: string | undefined): FormsRequest | undefined {
  const match = FORMS_SUBJECT.exec((subject ?? '').trim());
  if (!match) return undefined;
  const names = (match[2] ?? '')
    .split(/[\s,;]+/)
    .map((name) => name.trim().toUpperCase())
    .filter((name) => name !== '' && name !== 'ALL' && name !== 'PLEASE')
    .slice(0, MAX_NAMES);
  const loose = /^template/i.test(match[1] ?? '');
  return names.length === 0 ? { all: true } : { all: false, names, loose };
}
