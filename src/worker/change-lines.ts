/**
 * What a change did to a record, field by field, old -> new, for the notice its contacts get: a
 * contact who did not ask for the change sees what to put back ("emails: noc@a.example ->
 * attacker@b.example"), not only that something changed. Read from the operation's audit row
 * (its before and after), so the notice says what the registry stored, not what was asked.
 * Fields kept for staff (an org's tax ID) and bookkeeping (times) are never told. Each field is
 * named as the form names it, as the reply's `modified (...)` line does (OperationContext.fieldWords).
 */
import type { AuditRow } from '../registry/index.ts';
import { type FieldWords, fieldWords } from '../templates/index.ts';

/** At most this many characters of a value: a notice is short. */
const VALUE_CHARACTERS = 200;

type Json = string | number | boolean | null | readonly Json[] | { readonly [key: string]: Json };
type Fields = Readonly<Record<string, Json | undefined>>;

function isRecord(value: unknown): value is Readonly<Record<string, Json>> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function phoneText(value: Json): string {
  if (!isRecord(value)) return valueText(value);
  const ext = typeof value['extension'] === 'string' && value['extension'] ? ` x${value['extension']}` : '';
  return `${valueText(value['number'] ?? null)}${ext}`;
}

function valueText(value: Json | undefined): string {
  if (value === null || value === undefined || value === '') return '(none)';
  if (Array.isArray(value)) return value.length === 0 ? '(none)' : value.map((v) => phoneText(v)).join(', ');
  if (isRecord(value)) return JSON.stringify(value);
  const text = String(value).replace(/\s+/g, ' ').trim();
  return text.length > VALUE_CHARACTERS ? `${text.slice(0, VALUE_CHARACTERS)}...` : text;
}

const phonesOf = (record: Fields, kind: string): Json[] =>
  (Array.isArray(record['phones']) ? record['phones'] : []).filter((p) => isRecord(p) && p['kind'] === kind);

const pocsOf = (record: Fields, role: string): Json[] =>
  (Array.isArray(record['pocs']) ? record['pocs'] : []).flatMap((link) =>
    isRecord(link) && link['role'] === role && typeof link['pocHandle'] === 'string'
      ? [link['pocHandle']]
      : [],
  );

/**
 * A stored record as its form has it: the form's field keys (`legalName`, `officePhones`), the
 * values the registry stored under its own columns (`name`, `phones` of every kind). What the
 * form has no field for is not told: kept for staff (an org's tax ID), bookkeeping (times, the
 * validation state) and the handle the notice is about.
 */
const FORM_VIEW: Readonly<Record<string, (record: Fields) => Fields>> = {
  poc: (r) => ({
    contactType: r['kind'],
    lastName: r['lastName'],
    firstName: r['firstName'],
    middleName: r['middleName'],
    companyName: r['company'],
    street: r['street'],
    city: r['city'],
    state: r['state'],
    postalCode: r['postalCode'],
    country: r['country'],
    officePhones: phonesOf(r, 'office'),
    emails: r['emails'],
    mobilePhone: phonesOf(r, 'mobile'),
    fax: phonesOf(r, 'fax'),
    publicComments: r['publicComments'],
  }),
  org: (r) => ({
    legalName: r['name'],
    doingBusinessAs: r['dba'],
    street: r['street'],
    city: r['city'],
    state: r['state'],
    postalCode: r['postalCode'],
    country: r['country'],
    adminPoc: pocsOf(r, 'admin'),
    techPocs: pocsOf(r, 'tech'),
    abusePocs: pocsOf(r, 'abuse'),
    nocPocs: pocsOf(r, 'noc'),
    referralServer: r['referralServer'],
    publicComments: r['publicComments'],
  }),
};

/** The words of each record's own form, at its latest version. */
const OWN_FORM: Readonly<Record<string, FieldWords>> = {
  poc: fieldWords('ARIN-POC', undefined),
  org: fieldWords('ARIN-ORG', undefined),
};

/**
 * `Postal Code: 22150 -> 20190`, one line per field of the form whose value changed, named in
 * the form's words as the reply names them (`Org Postal Code` on an org's form), never by our
 * columns (`postal code`): the contact reads the notice beside the form.
 */
function changeLines(objectType: string, before: unknown, after: unknown, words: FieldWords): string[] {
  const view = FORM_VIEW[objectType];
  // A field the template's form does not name (staff's run of an older version): the record's own form names it.
  const own = OWN_FORM[objectType] ?? (() => undefined);
  if (!view || !isRecord(before) || !isRecord(after)) return [];
  const [old, now] = [view(before), view(after)];
  return Object.keys(old).flatMap((key) => {
    const [was, is] = [valueText(old[key]), valueText(now[key])];
    return was === is ? [] : [`${words(key) ?? own(key) ?? key}: ${was} -> ${is}`];
  });
}

/**
 * The lines of the modifications among `rows` of the record (`poc`, `org`) with this handle, in
 * the words of the form the change came in on (fieldWords of its form and version).
 */
export function recordChangeLines(
  rows: readonly AuditRow[],
  objectType: 'poc' | 'org',
  handle: string,
  words: FieldWords,
): string[] {
  return rows
    .filter((r) => r.action === 'modify' && r.objectType === objectType && r.objectHandle === handle)
    .flatMap((r) => changeLines(objectType, r.before, r.after, words));
}

/**
 * The addresses a POC had before the change: a modification that replaces them (a hijack, or a
 * mistake) is told to the old addresses too, else only the new owner of the record would hear.
 */
export function emailsBefore(rows: readonly AuditRow[], handle: string): string[] {
  return rows
    .filter((r) => r.action === 'modify' && r.objectType === 'poc' && r.objectHandle === handle)
    .flatMap((r) => {
      const emails = isRecord(r.before) ? r.before['emails'] : undefined;
      return Array.isArray(emails) ? emails.filter((e): e is string => typeof e === 'string') : [];
    });
}
