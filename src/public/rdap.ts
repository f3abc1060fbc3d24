/**
 * RDAP objects (RFC 9083) from the public views: ip networks with the cidr0 extension, entities
 * with jCard (RFC 7095) vCards and their roles, links, events, notices. Pure: views in, JSON out.
 */
import { formatAddress, rangeToCidrs } from '../ip/index.ts';
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
} from './views.ts';

export type Json = string | number | boolean | null | readonly Json[] | { readonly [key: string]: Json };
export type JsonObject = { readonly [key: string]: Json };

/** arin_originas0: a net's origin ASes, as ARIN publishes them (arin_originas0_originautnums). */
export const RDAP_CONFORMANCE = ['rdap_level_0', 'cidr0', 'arin_originas0'] as const;
export const RDAP_MEDIA_TYPE = 'application/rdap+json';

/** Where this server's RDAP answers (`https://whois.example/rdap`) and its WHOIS host for `port43`. */
export interface RdapContext {
  readonly base: string;
  readonly port43: string;
}

export const TERMS_NOTICE: JsonObject = {
  title: 'Terms of Use',
  description: [
    'This is what the registry holds now, as registration templates left it.',
    'Private customers are shown as Private Customer, without street, city or postal code.',
  ],
};

function link(context: RdapContext, rel: string, path: string, value: string): JsonObject {
  return { value: `${context.base}${value}`, rel, href: `${context.base}${path}`, type: RDAP_MEDIA_TYPE };
}

function events(registered: Date, updated: Date): JsonObject[] {
  return [
    { eventAction: 'registration', eventDate: registered.toISOString() },
    { eventAction: 'last changed', eventDate: updated.toISOString() },
  ];
}

function remarks(lines: readonly string[]): JsonObject[] {
  return lines.length === 0 ? [] : [{ title: 'Comments', description: [...lines] }];
}

/** An entity's remarks: its comments and, for a POC whose annual validation lapsed, saying so. */
function entityRemarks(entity: PublicEntity): JsonObject[] {
  const lapsed = entity.kind === 'poc' ? entity.validation.remark : undefined;
  return [
    ...remarks(entity.comments),
    ...(lapsed ? [{ title: lapsed.title, description: [lapsed.description] }] : []),
  ];
}

function adr(where: PostalLines): Json[] {
  return [
    'adr',
    where.country ? { cc: where.country } : {},
    'text',
    ['', '', where.street.join('\n'), where.city ?? '', where.state ?? '', where.postalCode ?? '', ''],
  ];
}

function tel(phone: PocPhone): Json[] {
  const type =
    phone.kind === 'fax' ? ['work', 'fax'] : phone.kind === 'mobile' ? ['cell', 'voice'] : ['work', 'voice'];
  const ext = phone.extension ? `;ext=${phone.extension}` : '';
  return ['tel', { type }, 'uri', `tel:${phone.number.replace(/\s+/g, '')}${ext}`];
}

/** A jCard: `["vcard", [[name, params, type, value], ...]]`. */
function vcard(entity: PublicEntity): Json {
  const properties: Json[] = [['version', {}, 'text', '4.0']];
  if (entity.kind === 'poc') {
    properties.push(['fn', {}, 'text', entity.fullName]);
    properties.push(['kind', {}, 'text', entity.contactType === 'person' ? 'individual' : 'group']);
    if (entity.company) properties.push(['org', {}, 'text', entity.company]);
  } else {
    properties.push(['fn', {}, 'text', entity.name]);
    properties.push(['kind', {}, 'text', entity.kind === 'org' ? 'org' : 'individual']);
  }
  properties.push(adr(entity));
  if (entity.kind === 'poc') {
    for (const phone of entity.phones) properties.push(tel(phone));
    for (const email of entity.emails) properties.push(['email', {}, 'text', email]);
  }
  return ['vcard', properties];
}

function entityBase(
  entity: PublicEntity,
  context: RdapContext,
  roles: readonly string[],
): Record<string, Json> {
  const shownRemarks = entityRemarks(entity);
  return {
    objectClassName: 'entity',
    handle: entity.handle,
    vcardArray: vcard(entity),
    ...(roles.length > 0 ? { roles: [...roles] } : {}),
    links: [link(context, 'self', `/entity/${entity.handle}`, `/entity/${entity.handle}`)],
    events: events(entity.registered, entity.updated),
    ...(shownRemarks.length > 0 ? { remarks: shownRemarks } : {}),
  };
}

function pocEntities(links: readonly PocLink[], context: RdapContext): JsonObject[] {
  // One entity per POC, with every role it plays here (RFC 9083: roles is a list).
  const byHandle = new Map<string, { poc: PublicPoc; roles: string[] }>();
  for (const { role, poc } of links) {
    const seen = byHandle.get(poc.handle);
    if (seen) seen.roles.push(role);
    else byHandle.set(poc.handle, { poc, roles: [role] });
  }
  return [...byHandle.values()].map(({ poc, roles }) => entityBase(poc, context, roles));
}

function referralLinks(referralServer: string | null, self: string): JsonObject[] {
  return referralServer
    ? [{ value: self, rel: 'related', href: referralServer, title: 'RWhois referral' }]
    : [];
}

export function orgObject(org: PublicOrg, context: RdapContext, nets: readonly PublicNet[] = []): JsonObject {
  const base = entityBase(org, context, []);
  const self = `${context.base}/entity/${org.handle}`;
  return {
    ...base,
    links: [...(base['links'] as Json[]), ...referralLinks(org.referralServer, self)],
    entities: pocEntities(org.pocs, context),
    ...(nets.length > 0 ? { networks: nets.map((n) => netObject(n, context, { nested: true })) } : {}),
    port43: context.port43,
  };
}

export function customerObject(customer: PublicCustomerRecord, context: RdapContext): JsonObject {
  return {
    ...entityBase(customer, context, []),
    remarks: [
      ...remarks(customer.comments),
      ...(customer.isPrivate
        ? [
            {
              title: 'Private Customer',
              description: ['A private residence: its name, street, city and postal code are not published.'],
            },
          ]
        : []),
      {
        title: 'Upstream',
        description: [`Reassigned by ${customer.upstream.name} (${customer.upstream.handle})`],
      },
    ],
    port43: context.port43,
  };
}

export function pocObject(poc: PublicPoc, context: RdapContext): JsonObject {
  return { ...entityBase(poc, context, []), port43: context.port43 };
}

export function entityObject(
  entity: PublicEntity,
  context: RdapContext,
  nets: readonly PublicNet[] = [],
): JsonObject {
  if (entity.kind === 'org') return orgObject(entity, context, nets);
  if (entity.kind === 'poc') return pocObject(entity, context);
  return customerObject(entity, context);
}

function cidrPath(net: Pick<PublicNet, 'version' | 'start' | 'end'>): string {
  const [first] = rangeToCidrs({ version: net.version, start: net.start, end: net.end });
  return first
    ? `${formatAddress(first.version, first.base)}/${first.prefixLength}`
    : formatAddress(net.version, net.start);
}

export interface NetObjectOptions {
  /** Inside another object (an org's networks): without notices. */
  readonly nested?: boolean;
  /** The holder as a whole entity (org or customer) with its own POCs. */
  readonly holder?: PublicEntity;
  /** The range of the nearest parent, for the `up` link. */
  readonly parent?: PublicNet;
}

export function netObject(net: PublicNet, context: RdapContext, options: NetObjectOptions = {}): JsonObject {
  const path = `/ip/${cidrPath(net)}`;
  const self = `${context.base}${path}`;
  const holder: JsonObject[] = options.holder
    ? [
        {
          ...entityBase(options.holder, context, ['registrant']),
          ...(options.holder.kind === 'org' ? { entities: pocEntities(options.holder.pocs, context) } : {}),
        },
      ]
    : [];
  return {
    objectClassName: 'ip network',
    handle: net.handle,
    startAddress: formatAddress(net.version, net.start),
    endAddress: formatAddress(net.version, net.end),
    ipVersion: net.version === 4 ? 'v4' : 'v6',
    name: net.name,
    type: NET_TYPE_TITLES[net.type].toUpperCase(),
    ...(net.holder?.country ? { country: net.holder.country } : {}),
    ...(net.parent ? { parentHandle: net.parent.handle } : {}),
    cidr0_cidrs: rangeToCidrs({ version: net.version, start: net.start, end: net.end }).map(
      (c): JsonObject => ({
        [`v${c.version}prefix`]: formatAddress(c.version, c.base),
        length: c.prefixLength,
      }),
    ),
    status: ['active'],
    events: events(net.registered, net.updated),
    entities: [...holder, ...pocEntities(net.pocs, context)],
    links: [
      { value: self, rel: 'self', href: self, type: RDAP_MEDIA_TYPE },
      ...(options.parent
        ? [
            {
              value: self,
              rel: 'up',
              href: `${context.base}/ip/${cidrPath(options.parent)}`,
              type: RDAP_MEDIA_TYPE,
            },
          ]
        : []),
      ...referralLinks(net.referralServer, self),
    ],
    ...(net.comments.length > 0 ? { remarks: remarks(net.comments) } : {}),
    ...(net.originAs.length > 0 ? { arin_originas0_originautnums: [...net.originAs] } : {}),
    ...(options.nested ? {} : { port43: context.port43 }),
  };
}

/** A top-level answer: conformance and notices around the object. */
export function topLevel(object: JsonObject, extraNotices: readonly JsonObject[] = []): JsonObject {
  return { rdapConformance: [...RDAP_CONFORMANCE], notices: [TERMS_NOTICE, ...extraNotices], ...object };
}

/** RFC 9083 section 6: an error object. */
export function errorObject(status: number, title: string, description: string): JsonObject {
  return { rdapConformance: [...RDAP_CONFORMANCE], errorCode: status, title, description: [description] };
}

export const RDAP_HELP: JsonObject = {
  rdapConformance: [...RDAP_CONFORMANCE],
  notices: [
    TERMS_NOTICE,
    {
      title: 'Queries',
      description: [
        '/ip/{address} and /ip/{prefix}/{length}: the most specific network holding it (links up to its parent)',
        '/entity/{handle}: an org (Org ID), a POC (...-ARIN) or a customer (C...)',
        '/entities?fn={name} and /entities?handle={handle}: search; a trailing * matches a prefix',
        'No autonomous systems, domains or name servers are registered here.',
      ],
    },
  ],
};
