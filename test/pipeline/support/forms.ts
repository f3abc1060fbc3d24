/**
 * Templates the way a customer fills them in: take our own blank form from `templates/`, write
 * values after the colons by field number, keep the labels as printed. A value list becomes
 * the numbered line repeated, which is how senders write repeatable fields.
 */
import fs from 'node:fs';

const BLANK_FORMS = new URL('../../../templates/', import.meta.url);

export type FieldValues = Readonly<Record<string, string | readonly string[]>>;

function fieldKey(number: string): string {
  const m = /^0*(\d+)([a-z]?)$/i.exec(number);
  return m ? `${Number(m[1])}${(m[2] ?? '').toLowerCase()}` : number;
}

/** `fillForm('ARIN-POC-5.1', { '01': 'N', '15': ['a@x', 'b@x'] })` -> the template text. */
export function fillForm(form: string, values: FieldValues): string {
  const blank = fs.readFileSync(new URL(`${form}.txt`, BLANK_FORMS), 'utf8');
  const end = blank.indexOf('END OF TEMPLATE');
  if (end < 0) throw new Error(`${form}.txt has no END OF TEMPLATE`);
  const wanted = new Map(Object.entries(values).map(([k, v]) => [fieldKey(k), v]));
  const used = new Set<string>();
  const lines: string[] = [];
  for (const line of blank.slice(0, end).split('\n')) {
    const m = /^(\d{1,2}[a-z]?)\.\s.*?:\s*$/i.exec(line);
    const value = m ? wanted.get(fieldKey(m[1]!)) : undefined;
    if (m && value !== undefined) {
      used.add(fieldKey(m[1]!));
      const list = typeof value === 'string' ? [value] : value;
      for (const v of list.length > 0 ? list : ['']) lines.push(`${line.trimEnd()} ${v}`.trimEnd());
      continue;
    }
    if (line.trim() !== '') lines.push(line.trimEnd());
  }
  const unknown = [...wanted.keys()].filter((k) => !used.has(k));
  if (unknown.length > 0) throw new Error(`${form} has no field ${unknown.join(', ')}`);
  return `${lines.join('\n')}\nEND OF TEMPLATE\n`;
}

/** A downstream ISP's customer, as billing systems fill Reassign-Simple 5.x. */
export function simpleReassignment(options: {
  action?: 'N' | 'M' | 'R';
  range: string;
  name?: string;
  customer?: string;
  apiKey?: string;
  version?: string;
  privateResidence?: boolean;
}): string {
  const action = options.action ?? 'N';
  const values: Record<string, string | string[]> = {
    '01': action,
    '03': options.range,
  };
  if (options.apiKey) values['00'] = options.apiKey;
  if (action !== 'R') {
    Object.assign(values, {
      '02': options.name ?? 'DEMO-CUST',
      '04': 'AS64500',
      '05': options.privateResidence ? 'Yes' : 'No',
      '06': options.customer ?? 'Acme Widgets Inc',
      '07': ['100 Industrial Way'],
      '08': 'Springfield',
      '09': 'VA',
      '10': '22150',
      '11': 'US',
    });
  }
  return fillForm(`ARIN-REASSIGN-SIMPLE-${options.version ?? '5.3'}`, values);
}

/**
 * A person POC of Demo ISP at its Herndon address (POC-5.1): action N unless `fields` says
 * otherwise (an M names its handle in '02'); any field by its number in `fields`.
 */
export function personPoc(
  last: string,
  first: string,
  email: string,
  fields: Readonly<Record<string, string>> = {},
): string {
  return fillForm('ARIN-POC-5.1', {
    '01': 'N',
    '03': 'P',
    '04': last,
    '05': first,
    '07': 'Demo ISP',
    '08': '1 Demo Plaza',
    '09': 'Herndon',
    '10': 'VA',
    '11': '20170',
    '12': 'US',
    '13': '+1-703-555-0100',
    '15': email,
    ...fields,
  });
}

/** A role POC of Demo ISP, as its NOC creates one (POC-5.1, action N). */
export function newRolePoc(name: string, email: string): string {
  return fillForm('ARIN-POC-5.1', {
    '01': 'N',
    '03': 'R',
    '04': name,
    '07': 'Demo ISP',
    '08': '1 Demo Plaza',
    '09': 'Herndon',
    '10': 'VA',
    '11': '20170',
    '12': 'US',
    '13': '+1-703-555-0100',
    '15': email,
  });
}
