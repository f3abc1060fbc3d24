/**
 * WHOIS answers in ARIN's style: `Label:` padded to 16 columns, one block per object, blank
 * lines between, `#` comment lines around. Pure: views in, lines out.
 *
 * Every value is written on one line with control and format characters made visible: a name
 * holding a line break could otherwise forge lines, e.g. a `ReferralServer:` that sends whois clients
 * (which follow it) to a server of the writer's choosing.
 */
import { formatAddress, formatRange, rangeToCidrs } from '../ip/index.ts';
import type { PocPhone } from '../registry/index.ts';
import {
  NET_TYPE_TITLES,
  type PocLink,
  type PostalLines,
  type PublicCustomerRecord,
  type PublicEntity,
  type PublicNet,
  type PublicOrg,
  type PublicPoc,
  type PublicRole,
} from './views.ts';

/** Where RDAP answers, for the `Ref:` lines (`https://whois.example/rdap`). */
export interface WhoisLinks {
  readonly rdapBase: string;
}

const LABEL_WIDTH = 16;

/**
 * Control characters, line and paragraph separators, and the format characters (Unicode `Cf`:
 * bidi overrides and isolates, zero-width spaces, tag characters): a terminal lays a line out as
 * the latter say, so a stored `\u202e` shows a reader text in an order nobody wrote.
 */
const NOT_SHOWN_AS_IS = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;

export function oneLine(value: string): string {
  return value.replace(NOT_SHOWN_AS_IS, (c) => {
    const code = c.codePointAt(0)!.toString(16);
    return code.length > 4 ? `\\u{${code}}` : `\\u${code.padStart(4, '0')}`;
  });
}

export function field(label: string, value: string): string {
  return `${`${label}:`.padEnd(LABEL_WIDTH)}${oneLine(value)}`;
}

function day(date: Date): string {
  return date.toISOString().slice(0, 10);
}

function addressLines(where: PostalLines): string[] {
  return [
    ...where.street.map((line) => field('Address', line)),
    ...(where.city ? [field('City', where.city)] : []),
    ...(where.state ? [field('StateProv', where.state)] : []),
    ...(where.postalCode ? [field('PostalCode', where.postalCode)] : []),
    ...(where.country ? [field('Country', where.country)] : []),
  ];
}

function comments(lines: readonly string[]): string[] {
  return lines.map((line) => field('Comment', line));
}

export function netCidrs(net: Pick<PublicNet, 'version' | 'start' | 'end'>): string[] {
  return rangeToCidrs({ version: net.version, start: net.start, end: net.end }).map(
    (c) => `${formatAddress(c.version, c.base)}/${c.prefixLength}`,
  );
}

export function netBlock(net: PublicNet, links: WhoisLinks): string[] {
  const holder = net.holder
    ? [
        field(
          net.holder.kind === 'org' ? 'Organization' : 'Customer',
          `${net.holder.name} (${net.holder.handle})`,
        ),
      ]
    : [];
  return [
    field('NetRange', `${formatAddress(net.version, net.start)} - ${formatAddress(net.version, net.end)}`),
    field('CIDR', netCidrs(net).join(', ')),
    field('NetName', net.name),
    field('NetHandle', net.handle),
    field('Parent', net.parent ? `${net.parent.name} (${net.parent.handle})` : ''),
    field('NetType', NET_TYPE_TITLES[net.type]),
    field('OriginAS', net.originAs.map((as) => `AS${as}`).join(', ')),
    ...holder,
    field('RegDate', day(net.registered)),
    field('Updated', day(net.updated)),
    ...comments(net.comments),
    field('Ref', `${links.rdapBase}/ip/${netCidrs(net)[0] ?? formatAddress(net.version, net.start)}`),
    ...(net.referralServer ? [field('ReferralServer', net.referralServer)] : []),
  ];
}

export function orgBlock(org: PublicOrg, links: WhoisLinks): string[] {
  return [
    field('OrgName', org.name),
    field('OrgId', org.handle),
    ...addressLines(org),
    field('RegDate', day(org.registered)),
    field('Updated', day(org.updated)),
    ...comments(org.comments),
    field('Ref', `${links.rdapBase}/entity/${org.handle}`),
    ...(org.referralServer ? [field('ReferralServer', org.referralServer)] : []),
  ];
}

export function customerBlock(customer: PublicCustomerRecord, links: WhoisLinks): string[] {
  return [
    field('CustName', customer.name),
    ...addressLines(customer),
    field('RegDate', day(customer.registered)),
    field('Updated', day(customer.updated)),
    ...comments(customer.comments),
    field('Ref', `${links.rdapBase}/entity/${customer.handle}`),
  ];
}

function phoneText(phone: PocPhone): string {
  const kind = phone.kind === 'office' ? 'Office' : phone.kind === 'mobile' ? 'Mobile' : 'Fax';
  return `${phone.number}${phone.extension ? ` x${phone.extension}` : ''} (${kind})`;
}

/** A POC's handle as ARIN prints it: `X-ARIN (Unvalidated)` once its annual validation lapsed. */
function pocHandle(poc: PublicPoc): string {
  return poc.validation.label ? `${poc.handle} (${poc.validation.label})` : poc.handle;
}

export function pocBlock(poc: PublicPoc, links: WhoisLinks): string[] {
  return [
    field('Name', poc.name),
    field('Handle', pocHandle(poc)),
    ...(poc.company ? [field('Company', poc.company)] : []),
    ...addressLines(poc),
    field('RegDate', day(poc.registered)),
    field('Updated', day(poc.updated)),
    ...comments(poc.comments),
    ...poc.phones.map((phone) => field('Phone', phoneText(phone))),
    ...poc.emails.map((email) => field('Email', email)),
    field('Ref', `${links.rdapBase}/entity/${poc.handle}`),
  ];
}

const ROLE_PREFIX: Record<PublicRole, string> = {
  administrative: 'Admin',
  technical: 'Tech',
  abuse: 'Abuse',
  noc: 'NOC',
};

/** An org's or a net's POCs, as ARIN lists them below it: `OrgTechHandle:`, `OrgTechName:`, ... */
export function pocLinkBlocks(owner: 'Org' | 'Net', pocs: readonly PocLink[], links: WhoisLinks): string[][] {
  return pocs.map(({ role, poc }) => {
    const label = `${owner}${ROLE_PREFIX[role]}`;
    return [
      field(`${label}Handle`, pocHandle(poc)),
      field(`${label}Name`, poc.name),
      ...poc.phones.slice(0, 1).map((phone) => field(`${label}Phone`, phone.number)),
      ...poc.emails.map((email) => field(`${label}Email`, email)),
      field(`${label}Ref`, `${links.rdapBase}/entity/${poc.handle}`),
    ];
  });
}

/** An entity's one-line summary in a list of matches: `Demo ISP (DEMOISP-1)`. */
/** A net in a list of matches, as ARIN lists one: name, handle, range. */
export function netSummary(net: PublicNet): string {
  return oneLine(
    `${net.name} (${net.handle}) ${formatRange({ version: net.version, start: net.start, end: net.end })}`,
  );
}

export function entitySummary(entity: PublicEntity): string {
  return oneLine(`${entity.name} (${entity.handle})`);
}

/** Blocks joined with blank lines, comment lines around: the whole answer, CRLF line ends. */
export function whoisAnswer(
  header: readonly string[],
  blocks: readonly (readonly string[])[],
  footer: readonly string[],
): string {
  const body = blocks.filter((b) => b.length > 0).map((b) => b.join('\r\n'));
  return `${[header.join('\r\n'), ...body, footer.join('\r\n')].filter(Boolean).join('\r\n\r\n')}\r\n`;
}
