/**
 * What the public may see of the registry: these shapes are all WHOIS and RDAP ever format.
 * Whatever is not here (tax IDs, accounts, API keys, staff, account e-mail addresses, a private
 * customer's name and street) cannot leak through a formatter, because no formatter gets it.
 */
import type { IpVersion } from '../ip/index.ts';
import type { NetType, OrgPocRole, PocPhone } from '../registry/index.ts';
import type { PocDisplayState } from '../validation/index.ts';

export interface PostalLines {
  readonly street: readonly string[];
  readonly city: string | null;
  readonly state: string | null;
  readonly postalCode: string | null;
  readonly country: string | null;
}

/** A role a POC plays for an org or a net, in RDAP's words (RFC 9083 section 10.2.4). */
export type PublicRole = 'administrative' | 'technical' | 'abuse' | 'noc';

export const ROLE_OF: Record<OrgPocRole, PublicRole> = {
  admin: 'administrative',
  tech: 'technical',
  abuse: 'abuse',
  noc: 'noc',
};

export interface PocLink {
  readonly role: PublicRole;
  readonly poc: PublicPoc;
}

/**
 * A POC as published. The one place a POC is shaped for the public: WHOIS and RDAP both format
 * this, wherever the POC appears (its own answer, an org's or a net's contacts).
 */
export interface PublicPoc extends PostalLines {
  readonly kind: 'poc';
  readonly handle: string;
  readonly contactType: 'person' | 'role';
  /** `Last, First` for a person (as ARIN writes it), the role's name for a role. */
  readonly name: string;
  /** `First Last` for a person, the role's name for a role: the vCard's fn. */
  readonly fullName: string;
  readonly company: string | null;
  readonly phones: readonly PocPhone[];
  /** Its e-mail addresses, except those of the accounts holding it (those authorize mail). */
  readonly emails: readonly string[];
  readonly comments: readonly string[];
  readonly registered: Date;
  readonly updated: Date;
  /**
   * Its annual validation as the public sees it (the validation room's `pocDisplayState`): once
   * the POC is invalid, `Unvalidated` beside its handle in WHOIS and a remark in RDAP.
   */
  readonly validation: PocDisplayState;
}

export interface PublicOrg extends PostalLines {
  readonly kind: 'org';
  readonly handle: string;
  readonly name: string;
  /** `rwhois://host:port`: where the org publishes its own reassignments. */
  readonly referralServer: string | null;
  readonly comments: readonly string[];
  readonly registered: Date;
  readonly updated: Date;
  readonly pocs: readonly PocLink[];
}

export interface PublicCustomerRecord extends PostalLines {
  readonly kind: 'customer';
  readonly handle: string;
  /** `Private Customer - <upstream>` for a private residence: its own name is never published. */
  readonly name: string;
  readonly isPrivate: boolean;
  /** The org that reassigned the space: its POCs answer for the customer. */
  readonly upstream: { readonly handle: string; readonly name: string };
  readonly comments: readonly string[];
  readonly registered: Date;
  readonly updated: Date;
}

export type PublicEntity = PublicOrg | PublicPoc | PublicCustomerRecord;

export interface NetHolder {
  readonly kind: 'org' | 'customer';
  readonly handle: string;
  readonly name: string;
  readonly country: string | null;
}

export interface PublicNet {
  readonly kind: 'net';
  readonly handle: string;
  readonly name: string;
  readonly version: IpVersion;
  readonly start: bigint;
  readonly end: bigint;
  readonly type: NetType;
  readonly parent: { readonly handle: string; readonly name: string } | undefined;
  readonly originAs: readonly number[];
  readonly holder: NetHolder | undefined;
  /** The holding org's RWhois server, when it keeps its own reassignment data. */
  readonly referralServer: string | null;
  readonly comments: readonly string[];
  readonly registered: Date;
  readonly updated: Date;
  readonly pocs: readonly PocLink[];
}

/** A net and the nets above it, the most specific first (the answer to an address or range). */
export interface NetMatch {
  readonly net: PublicNet;
  /** Its parents up to the direct allocation, nearest first. */
  readonly parents: readonly PublicNet[];
}

/** ARIN's words for a net's type (NetType:). */
export const NET_TYPE_TITLES: Record<NetType, string> = {
  direct_allocation: 'Direct Allocation',
  reallocation: 'Reallocated',
  detailed_reassignment: 'Reassigned',
  simple_reassignment: 'Reassigned',
};
