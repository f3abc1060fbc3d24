/**
 * A stored record (as the audit log keeps it: our columns, `postalCode`, `name`, `phones`) read
 * as its form has it: the form's field keys, named in the form's words (`Org Postal Code`,
 * `Organization's Legal Name`, `Office Phone Number`). Every place that shows a customer or staff
 * what a record holds or what a change moved names its fields this way (the change notices, the
 * console's audit trail), as the replies name what a modify changed (fieldWords). Pure.
 */
import { type FieldWords, fieldWords } from './field-words.ts';

type Stored = Readonly<Record<string, unknown>>;

/** One field of the form, read from the columns that hold it. */
interface FormField {
  readonly key: string;
  readonly columns: readonly string[];
  readonly read: (record: Stored) => unknown;
}

const column = (key: string, name = key): FormField => ({ key, columns: [name], read: (r) => r[name] });

const isRecord = (value: unknown): value is Stored =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** A POC's phones of one kind (office, mobile, fax): the form has a field for each. */
const phones = (key: string, kind: string): FormField => ({
  key,
  columns: ['phones'],
  read: (r) =>
    (Array.isArray(r['phones']) ? r['phones'] : []).filter((p) => isRecord(p) && p['kind'] === kind),
});

/** An org's POCs of one role, as its audit row keeps its links (`pocs`). */
const orgPocs = (key: string, role: string): FormField => ({
  key,
  columns: ['pocs'],
  read: (r) =>
    (Array.isArray(r['pocs']) ? r['pocs'] : []).flatMap((link) =>
      isRecord(link) && link['role'] === role && typeof link['pocHandle'] === 'string'
        ? [link['pocHandle']]
        : [],
    ),
});

const ADDRESS = ['street', 'city', 'state', 'postalCode', 'country'].map((key) => column(key));

/** Each kind of record: the form it is written on, and its fields there in the form's order. */
const RECORDS: Readonly<Record<string, { readonly form: string; readonly fields: readonly FormField[] }>> = {
  poc: {
    form: 'ARIN-POC',
    fields: [
      column('contactType', 'kind'),
      column('lastName'),
      column('firstName'),
      column('middleName'),
      column('companyName', 'company'),
      ...ADDRESS,
      phones('officePhones', 'office'),
      column('emails'),
      phones('mobilePhone', 'mobile'),
      phones('fax', 'fax'),
      column('publicComments'),
    ],
  },
  org: {
    form: 'ARIN-ORG',
    fields: [
      column('legalName', 'name'),
      column('doingBusinessAs', 'dba'),
      column('taxId'),
      ...ADDRESS,
      orgPocs('adminPoc', 'admin'),
      orgPocs('techPocs', 'tech'),
      orgPocs('abusePocs', 'abuse'),
      orgPocs('nocPocs', 'noc'),
      column('referralServer'),
      column('publicComments'),
    ],
  },
  customer: {
    form: 'ARIN-REASSIGN-SIMPLE',
    fields: [
      column('privateResidence'),
      column('customerName', 'name'),
      ...ADDRESS,
      column('publicComments'),
    ],
  },
  net: {
    form: 'ARIN-NET-MOD',
    fields: [
      column('range', 'cidrs'),
      column('networkName', 'name'),
      column('originAs'),
      column('reverseNameservers'),
      column('publicComments'),
    ],
  },
};

const WORDS: ReadonlyMap<string, FieldWords> = new Map(
  Object.entries(RECORDS).map(([kind, { form }]) => [kind, fieldWords(form, undefined)]),
);

/** One field of a record as its form has it. */
export interface FormValue {
  /** The form's key of it (`postalCode`), as fieldWords takes it. */
  readonly key: string;
  /** The form's words for it (`Org Postal Code`), its own form's latest version. */
  readonly label: string;
  readonly value: unknown;
}

/** The record's fields in its form's words and order; undefined for a kind no form writes. */
export function recordAsForm(kind: string, record: Stored): FormValue[] | undefined {
  const known = RECORDS[kind];
  const words = WORDS.get(kind);
  if (!known || !words) return undefined;
  return known.fields.map((f) => ({ key: f.key, label: words(f.key) ?? f.key, value: f.read(record) }));
}

/** The columns of a kind of record that its form's fields are read from (none for a kind no form writes). */
export function formColumns(kind: string): ReadonlySet<string> {
  return new Set(RECORDS[kind]?.fields.flatMap((f) => f.columns) ?? []);
}
