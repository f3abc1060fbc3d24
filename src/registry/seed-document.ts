/**
 * The seed file: the JSON shape staff write (SeedFile), and its validation into a checked
 * SeedDocument with precise errors that name the JSON path (`orgs[0].country: "USA" is not an
 * ISO 3166 alpha-2 code`). Pure: no database. Format documented in docs/seed-format.md.
 */
import { type IpRange, parseRange } from '../ip/index.ts';
import { fail, ok, type Problem, problem, type Result } from '../shared/index.ts';
import { API_KEY_SHAPE, normalizeApiKey } from './accounts.ts';
import { orgValues } from './orgs.ts';
import { pocValues } from './pocs.ts';
import { checkHandle, checkHostnames, checkNetName, checkOriginAs, isCountryCode, isEmail } from './rules.ts';
import type { NetType, OrgInput, PocInput } from './types.ts';

/* ---------- the file as written ---------- */

export interface SeedAddress {
  street?: string[];
  city: string;
  state?: string;
  postalCode?: string;
  country: string;
}

export interface SeedPoc extends SeedAddress {
  handle: string;
  type: 'person' | 'role';
  lastName: string;
  firstName?: string;
  middleName?: string;
  company?: string;
  emails: string[];
  officePhones: string[];
  officePhoneExtension?: string;
  mobilePhone?: string;
  fax?: string;
  comments?: string[];
}

export interface SeedOrg extends SeedAddress {
  handle: string;
  name: string;
  dba?: string;
  pocs: { admin: string; tech: string[]; abuse?: string[]; noc?: string[] };
  referralServer?: string;
  comments?: string[];
}

export interface SeedCustomer extends SeedAddress {
  handle: string;
  name: string;
  /** The upstream org that reassigned space to the customer. */
  org: string;
  privateResidence?: boolean;
}

export interface SeedNet {
  handle: string;
  name: string;
  /** `198.51.100.0/24`, `2001:db8::/32` or `10.0.0.0 - 10.0.2.255`. */
  range: string;
  /** Default `direct_allocation`. */
  type?: NetType;
  /** The net it was carved from; required for every type but a direct allocation. */
  parent?: string;
  /** Holder (every type but a simple reassignment). */
  org?: string;
  /** Holder of a simple reassignment. */
  customer?: string;
  originAs?: number[];
  pocs?: { tech?: string[]; abuse?: string[]; noc?: string[] };
  reverseNameservers?: string[];
  comments?: string[];
}

export interface SeedAccount {
  /** Unique: identifies the account when the file is loaded again. */
  name: string;
  emails: string[];
  pocs?: string[];
  /** In clear in the file; stored only as digests. */
  apiKeys?: string[];
}

export interface SeedFile {
  pocs?: SeedPoc[];
  orgs?: SeedOrg[];
  customers?: SeedCustomer[];
  nets?: SeedNet[];
  accounts?: SeedAccount[];
}

/* ---------- the checked document ---------- */

export interface CheckedPoc {
  readonly path: string;
  readonly handle: string;
  readonly input: PocInput;
}

export interface CheckedOrg {
  readonly path: string;
  readonly handle: string;
  readonly input: OrgInput;
}

export interface CheckedCustomer {
  readonly path: string;
  readonly handle: string;
  readonly orgHandle: string;
  readonly name: string;
  readonly privateResidence: boolean;
  readonly street: string[];
  readonly city: string;
  readonly state: string | null;
  readonly postalCode: string | null;
  readonly country: string;
}

export interface CheckedNet {
  readonly path: string;
  readonly handle: string;
  readonly name: string;
  readonly range: IpRange;
  readonly type: NetType;
  readonly parentHandle: string | null;
  readonly orgHandle: string | null;
  readonly customerHandle: string | null;
  readonly originAs: number[];
  readonly pocs: { role: 'tech' | 'abuse' | 'noc'; pocHandle: string }[];
  readonly reverseNameservers: string[];
  readonly publicComments: string[];
}

export interface CheckedAccount {
  readonly path: string;
  readonly name: string;
  readonly emails: string[];
  readonly pocHandles: string[];
  readonly apiKeys: string[];
}

export interface SeedDocument {
  readonly pocs: CheckedPoc[];
  readonly orgs: CheckedOrg[];
  readonly customers: CheckedCustomer[];
  readonly nets: CheckedNet[];
  readonly accounts: CheckedAccount[];
}

/* ---------- validation ---------- */

type Json = unknown;
const NET_TYPE_VALUES: readonly NetType[] = [
  'direct_allocation',
  'reallocation',
  'detailed_reassignment',
  'simple_reassignment',
];

/** Collects every problem, each prefixed with its JSON path. */
class Checker {
  readonly problems: Problem[] = [];

  report(path: string, message: string): void {
    this.problems.push(problem('E_SEED_INVALID', `${path}: ${message}`));
  }

  object(value: Json, path: string, allowed: readonly string[]): Record<string, Json> | undefined {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.report(path, `expected an object, found ${describe(value)}`);
      return undefined;
    }
    const record = value as Record<string, Json>;
    for (const key of Object.keys(record)) {
      if (!allowed.includes(key))
        this.report(join(path, key), `unknown field (expected one of ${allowed.join(', ')})`);
    }
    return record;
  }

  list(value: Json, path: string): Json[] {
    if (value === undefined) return [];
    if (!Array.isArray(value)) {
      this.report(path, `expected a list, found ${describe(value)}`);
      return [];
    }
    return value;
  }

  text(record: Record<string, Json>, key: string, path: string, required: true): string;
  text(record: Record<string, Json>, key: string, path: string, required?: false): string | undefined;
  text(record: Record<string, Json>, key: string, path: string, required = false): string | undefined {
    const value = record[key];
    if (value === undefined || value === null || value === '') {
      if (required) this.report(join(path, key), 'is required');
      return required ? '' : undefined;
    }
    if (typeof value !== 'string') {
      this.report(join(path, key), `expected text, found ${describe(value)}`);
      return required ? '' : undefined;
    }
    return value.trim();
  }

  texts(record: Record<string, Json>, key: string, path: string): string[] {
    return this.list(record[key], join(path, key)).flatMap((item, i) => {
      if (typeof item === 'string') return item.trim() ? [item.trim()] : [];
      this.report(`${join(path, key)}[${i}]`, `expected text, found ${describe(item)}`);
      return [];
    });
  }

  handle(kind: 'poc' | 'org' | 'net' | 'customer', raw: string, path: string): string {
    if (!raw) return '';
    const checked = checkHandle(kind, raw);
    if (!checked.ok) this.report(path, checked.error.message);
    return checked.ok ? checked.value : '';
  }

  handles(kind: 'poc', record: Record<string, Json>, key: string, path: string): string[] {
    return this.texts(record, key, path).map((raw, i) => this.handle(kind, raw, `${join(path, key)}[${i}]`));
  }

  country(record: Record<string, Json>, path: string): string {
    const raw = this.text(record, 'country', path, true);
    if (raw && !isCountryCode(raw)) {
      this.report(join(path, 'country'), `"${raw}" is not an ISO 3166 alpha-2 code (like US, CA, DE)`);
    }
    return raw;
  }

  emails(record: Record<string, Json>, key: string, path: string, required: boolean): string[] {
    const emails = this.texts(record, key, path).map((e) => e.toLowerCase());
    if (required && emails.length === 0 && record[key] !== undefined)
      this.report(join(path, key), 'needs at least one address');
    if (required && record[key] === undefined) this.report(join(path, key), 'is required');
    emails.forEach((e, i) => {
      if (!isEmail(e)) this.report(`${join(path, key)}[${i}]`, `"${e}" is not an e-mail address`);
    });
    return emails;
  }

  unique(seen: Map<string, string>, key: string, path: string, what: string): void {
    const first = seen.get(key);
    if (first) this.report(path, `${what} ${key} is already defined at ${first}`);
    else if (key) seen.set(key, path);
  }

  /** Turns a Problem from a whole-object check into one naming the object's path. */
  whole(path: string, result: Result<unknown, Problem>): void {
    if (!result.ok) this.report(path, result.error.message);
  }
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function describe(value: Json): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return `"${value}"`;
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

const ADDRESS_KEYS = ['street', 'city', 'state', 'postalCode', 'country'] as const;

function address(c: Checker, r: Record<string, Json>, path: string) {
  return {
    street: c.texts(r, 'street', path),
    city: c.text(r, 'city', path, true),
    state: c.text(r, 'state', path),
    postalCode: c.text(r, 'postalCode', path),
    country: c.country(r, path),
  };
}

function checkPoc(c: Checker, value: Json, path: string): CheckedPoc | undefined {
  const r = c.object(value, path, [
    'handle',
    'type',
    'lastName',
    'firstName',
    'middleName',
    'company',
    ...ADDRESS_KEYS,
    'emails',
    'officePhones',
    'officePhoneExtension',
    'mobilePhone',
    'fax',
    'comments',
  ]);
  if (!r) return undefined;
  const handle = c.handle('poc', c.text(r, 'handle', path, true), join(path, 'handle'));
  const type = c.text(r, 'type', path, true);
  if (type && type !== 'person' && type !== 'role')
    c.report(join(path, 'type'), `"${type}" is neither person nor role`);
  const before = c.problems.length;
  const input: PocInput = {
    contactType: type === 'role' ? 'role' : 'person',
    lastName: c.text(r, 'lastName', path, true),
    firstName: c.text(r, 'firstName', path),
    middleName: c.text(r, 'middleName', path),
    companyName: c.text(r, 'company', path),
    address: address(c, r, path),
    emails: c.emails(r, 'emails', path, true),
    officePhones: c.texts(r, 'officePhones', path),
    officePhoneExtension: c.text(r, 'officePhoneExtension', path),
    mobilePhone: c.text(r, 'mobilePhone', path),
    fax: c.text(r, 'fax', path),
    publicComments: c.texts(r, 'comments', path),
  };
  if (c.problems.length === before) c.whole(path, pocValues(input));
  return { path, handle, input };
}

function checkOrg(c: Checker, value: Json, path: string): CheckedOrg | undefined {
  const r = c.object(value, path, [
    'handle',
    'name',
    'dba',
    ...ADDRESS_KEYS,
    'pocs',
    'referralServer',
    'comments',
  ]);
  if (!r) return undefined;
  const handle = c.handle('org', c.text(r, 'handle', path, true), join(path, 'handle'));
  const pocsPath = join(path, 'pocs');
  const pocs =
    r['pocs'] === undefined ? undefined : c.object(r['pocs'], pocsPath, ['admin', 'tech', 'abuse', 'noc']);
  if (r['pocs'] === undefined) c.report(pocsPath, 'is required (at least an admin and a tech POC)');
  const before = c.problems.length;
  const input: OrgInput = {
    legalName: c.text(r, 'name', path, true),
    doingBusinessAs: c.text(r, 'dba', path),
    address: address(c, r, path),
    adminPoc: pocs ? c.handle('poc', c.text(pocs, 'admin', pocsPath, true), join(pocsPath, 'admin')) : '',
    techPocs: pocs ? c.handles('poc', pocs, 'tech', pocsPath) : [],
    abusePocs: pocs ? c.handles('poc', pocs, 'abuse', pocsPath) : [],
    nocPocs: pocs ? c.handles('poc', pocs, 'noc', pocsPath) : [],
    referralServer: c.text(r, 'referralServer', path),
    publicComments: c.texts(r, 'comments', path),
  };
  if (pocs && input.techPocs.length === 0 && pocs['tech'] !== undefined)
    c.report(join(pocsPath, 'tech'), 'needs at least one POC');
  if (pocs && pocs['tech'] === undefined) c.report(join(pocsPath, 'tech'), 'is required');
  if (c.problems.length === before) c.whole(path, orgValues(input));
  return { path, handle, input };
}

function checkCustomer(c: Checker, value: Json, path: string): CheckedCustomer | undefined {
  const r = c.object(value, path, ['handle', 'name', 'org', 'privateResidence', ...ADDRESS_KEYS]);
  if (!r) return undefined;
  const privateResidence = r['privateResidence'] ?? false;
  if (typeof privateResidence !== 'boolean') {
    c.report(join(path, 'privateResidence'), `expected true or false, found ${describe(privateResidence)}`);
  }
  const a = address(c, r, path);
  return {
    path,
    handle: c.handle('customer', c.text(r, 'handle', path, true), join(path, 'handle')),
    orgHandle: c.handle('org', c.text(r, 'org', path, true), join(path, 'org')),
    name: c.text(r, 'name', path, true),
    privateResidence: privateResidence === true,
    street: a.street,
    city: a.city,
    state: a.state ?? null,
    postalCode: a.postalCode ?? null,
    country: a.country,
  };
}

function checkNet(c: Checker, value: Json, path: string): CheckedNet | undefined {
  const r = c.object(value, path, [
    'handle',
    'name',
    'range',
    'type',
    'parent',
    'org',
    'customer',
    'originAs',
    'pocs',
    'reverseNameservers',
    'comments',
  ]);
  if (!r) return undefined;
  const handle = c.handle('net', c.text(r, 'handle', path, true), join(path, 'handle'));
  const rawName = c.text(r, 'name', path, true);
  const name = rawName ? checkNetName(rawName) : undefined;
  if (name && !name.ok) c.report(join(path, 'name'), name.error.message);
  const rawRange = c.text(r, 'range', path, true);
  const range = rawRange ? parseRange(rawRange) : undefined;
  if (range && !range.ok) c.report(join(path, 'range'), range.error.message);
  const type = (c.text(r, 'type', path) ?? 'direct_allocation') as NetType;
  if (!NET_TYPE_VALUES.includes(type))
    c.report(join(path, 'type'), `"${type}" is not one of ${NET_TYPE_VALUES.join(', ')}`);
  const parent = c.text(r, 'parent', path);
  const org = c.text(r, 'org', path);
  const customer = c.text(r, 'customer', path);
  if (type === 'direct_allocation' && parent)
    c.report(join(path, 'parent'), 'a direct allocation has no parent net');
  if (type !== 'direct_allocation' && !parent) c.report(join(path, 'parent'), `is required for a ${type}`);
  if (type === 'simple_reassignment') {
    if (!customer) c.report(join(path, 'customer'), 'is required for a simple_reassignment');
    if (org) c.report(join(path, 'org'), 'a simple_reassignment is held by its customer, not an org');
    if (r['pocs'] !== undefined) c.report(join(path, 'pocs'), 'a simple_reassignment carries no POCs');
  } else {
    if (!org) c.report(join(path, 'org'), `is required for a ${type}`);
    if (customer) c.report(join(path, 'customer'), `only a simple_reassignment has a customer`);
  }
  const originAsRaw = c.list(r['originAs'], join(path, 'originAs'));
  const originAs: number[] = [];
  originAsRaw.forEach((item, i) => {
    if (typeof item === 'number') originAs.push(item);
    else c.report(`${join(path, 'originAs')}[${i}]`, `expected an AS number, found ${describe(item)}`);
  });
  const checkedAs = checkOriginAs(originAs);
  if (!checkedAs.ok) c.report(join(path, 'originAs'), checkedAs.error.message);
  const pocsPath = join(path, 'pocs');
  const pocsRecord =
    r['pocs'] === undefined ? undefined : c.object(r['pocs'], pocsPath, ['tech', 'abuse', 'noc']);
  const pocs: CheckedNet['pocs'] = [];
  for (const role of ['tech', 'abuse', 'noc'] as const) {
    if (pocsRecord)
      for (const pocHandle of c.handles('poc', pocsRecord, role, pocsPath)) pocs.push({ role, pocHandle });
  }
  const nameservers = checkHostnames(c.texts(r, 'reverseNameservers', path));
  if (!nameservers.ok) c.report(join(path, 'reverseNameservers'), nameservers.error.message);
  return {
    path,
    handle,
    name: name?.ok ? name.value : '',
    range: range?.ok ? range.value : { version: 4, start: 0n, end: 0n },
    type,
    parentHandle: parent ? c.handle('net', parent, join(path, 'parent')) : null,
    orgHandle: org ? c.handle('org', org, join(path, 'org')) : null,
    customerHandle: customer ? c.handle('customer', customer, join(path, 'customer')) : null,
    originAs: checkedAs.ok ? checkedAs.value : [],
    pocs,
    reverseNameservers: nameservers.ok ? nameservers.value : [],
    publicComments: c.texts(r, 'comments', path),
  };
}

function checkAccount(c: Checker, value: Json, path: string): CheckedAccount | undefined {
  const r = c.object(value, path, ['name', 'emails', 'pocs', 'apiKeys']);
  if (!r) return undefined;
  const apiKeys = c.texts(r, 'apiKeys', path).map((raw, i) => {
    const key = normalizeApiKey(raw);
    if (!API_KEY_SHAPE.test(key))
      c.report(`${join(path, 'apiKeys')}[${i}]`, 'is not an API key (API-XXXX-XXXX-XXXX-XXXX, hex digits)');
    return key;
  });
  return {
    path,
    name: c.text(r, 'name', path, true),
    emails: c.emails(r, 'emails', path, true),
    pocHandles: c.handles('poc', r, 'pocs', path),
    apiKeys,
  };
}

/**
 * Checks a parsed seed file. Every problem found is returned (not just the first), each naming
 * where it is, e.g. `orgs[0].country: "USA" is not an ISO 3166 alpha-2 code (like US, CA, DE)`.
 */
export function validateSeed(value: Json): Result<SeedDocument, Problem[]> {
  const c = new Checker();
  const root = c.object(value, '(top level)', ['pocs', 'orgs', 'customers', 'nets', 'accounts']);
  if (!root) return fail(c.problems);
  const each = <T>(key: string, check: (c: Checker, v: Json, path: string) => T | undefined): T[] =>
    c.list(root[key], key).flatMap((item, i) => {
      const checked = check(c, item, `${key}[${i}]`);
      return checked ? [checked] : [];
    });
  const doc: SeedDocument = {
    pocs: each('pocs', checkPoc),
    orgs: each('orgs', checkOrg),
    customers: each('customers', checkCustomer),
    nets: each('nets', checkNet),
    accounts: each('accounts', checkAccount),
  };
  const seen = (_kind: string) => new Map<string, string>();
  const pocs = seen('poc');
  for (const p of doc.pocs) c.unique(pocs, p.handle, join(p.path, 'handle'), 'POC');
  const orgs = seen('org');
  for (const o of doc.orgs) c.unique(orgs, o.handle, join(o.path, 'handle'), 'org');
  const customers = seen('customer');
  for (const x of doc.customers) c.unique(customers, x.handle, join(x.path, 'handle'), 'customer');
  const nets = seen('net');
  for (const n of doc.nets) c.unique(nets, n.handle, join(n.path, 'handle'), 'net');
  const names = seen('account');
  const keys = seen('key');
  for (const a of doc.accounts) {
    c.unique(names, a.name, join(a.path, 'name'), 'account');
    a.apiKeys.forEach((k, i) => {
      if (keys.has(k))
        c.report(`${join(a.path, 'apiKeys')}[${i}]`, `this API key is already given at ${keys.get(k)}`);
      else keys.set(k, `${join(a.path, 'apiKeys')}[${i}]`);
    });
  }
  return c.problems.length ? fail(c.problems) : ok(doc);
}

/** Parses and checks the text of a seed file. */
export function parseSeed(text: string): Result<SeedDocument, Problem[]> {
  let value: Json;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return fail([problem('E_SEED_INVALID', `(file): not valid JSON: ${(error as Error).message}`)]);
  }
  return validateSeed(value);
}
