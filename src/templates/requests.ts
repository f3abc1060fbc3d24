/**
 * The typed requests a template turns into. One type per operation, whatever form version the
 * sender used: the worker switches on `kind` and never sees versions or field numbers.
 *
 * Modify requests carry a `changes` patch: a property that is absent means "leave as it is",
 * `null` means the sender wrote NONE to clear it.
 */
import type { IpRange } from '../ip/index.ts';

declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

/** `JD123-ARIN`, upper-case. */
export type PocHandle = Brand<string, 'PocHandle'>;
/** `EXAMPLE-1`, upper-case. */
export type OrgHandle = Brand<string, 'OrgHandle'>;
/** `NET-192-0-2-0-1` / `NET6-2001-DB8-1`, upper-case. */
export type NetHandle = Brand<string, 'NetHandle'>;
/** ISO 3166-1 alpha-2, upper-case. */
export type CountryCode = Brand<string, 'CountryCode'>;
/** `API-XXXX-XXXX-XXXX-XXXX` (4 to 8 groups), as written. Only for authorization: never echo it. */
export type ApiKey = Brand<string, 'ApiKey'>;

export type RegistrationAction = 'N' | 'M' | 'R';
export type ContactType = 'person' | 'role';
export type NetPocRole = 'tech' | 'abuse' | 'noc';

/** Clearable on modify: absent = unchanged, null = cleared with NONE. */
export type Patch<T> = { readonly [K in keyof T]?: T[K] | null };

export interface PostalAddress {
  readonly street: readonly string[];
  readonly city: string;
  readonly state?: string;
  readonly postalCode?: string;
  readonly country: CountryCode;
}

/* ---------- POC ---------- */

export interface PocFields {
  readonly contactType: ContactType;
  /** Last name, or the role account's name for a role POC. */
  readonly lastName: string;
  readonly firstName?: string;
  readonly middleName?: string;
  readonly companyName?: string;
  readonly address: PostalAddress;
  readonly officePhones: readonly string[];
  /** Extension of the first office phone (seeds; templates give `officePhoneExtensions`). */
  readonly officePhoneExtension?: string;
  /** Extension of each office phone, by position (null: that phone has none). */
  readonly officePhoneExtensions?: readonly (string | null)[];
  readonly emails: readonly string[];
  readonly mobilePhone?: string;
  readonly fax?: string;
  readonly publicComments: readonly string[];
}

export interface PocCreate extends PocFields {
  readonly kind: 'poc.create';
  /** A note to the hostmaster (line 19): kept with the ticket for staff, not in the registry. */
  readonly additionalInfo?: string;
}

export interface PocModify {
  readonly kind: 'poc.modify';
  readonly handle: PocHandle;
  readonly changes: Patch<Omit<PocFields, 'contactType' | 'address'>> & {
    /**
     * The contact type as resent on line 03. Never applied (a POC's type cannot change): the
     * registry compares it with the stored type and, when they differ, says so in the reply.
     */
    readonly contactType?: ContactType;
    readonly street?: readonly string[] | null;
    readonly city?: string | null;
    readonly state?: string | null;
    readonly postalCode?: string | null;
    readonly country?: CountryCode | null;
  };
  readonly additionalInfo?: string;
}

export interface PocRemove {
  readonly kind: 'poc.remove';
  readonly handle: PocHandle;
  readonly additionalInfo?: string;
}

/* ---------- ORG ---------- */

export interface OrgFields {
  readonly legalName: string;
  readonly doingBusinessAs?: string;
  readonly taxId?: string;
  readonly address: PostalAddress;
  readonly adminPoc: PocHandle;
  readonly techPocs: readonly PocHandle[];
  readonly abusePocs: readonly PocHandle[];
  readonly nocPocs: readonly PocHandle[];
  /** `rwhois://host:port`. */
  readonly referralServer?: string;
  readonly publicComments: readonly string[];
  readonly additionalInfo?: string;
}

export interface OrgCreate extends OrgFields {
  readonly kind: 'org.create';
}

export interface OrgModify {
  readonly kind: 'org.modify';
  readonly handle: OrgHandle;
  /** Free text for staff; not stored on the org. */
  readonly additionalInfo?: string;
  readonly changes: Patch<Omit<OrgFields, 'address' | 'additionalInfo'>> & {
    readonly street?: readonly string[] | null;
    readonly city?: string | null;
    readonly state?: string | null;
    readonly postalCode?: string | null;
    readonly country?: CountryCode | null;
  };
}

export interface OrgRemove {
  readonly kind: 'org.remove';
  readonly handle: OrgHandle;
}

/* ---------- REASSIGN-SIMPLE ---------- */

export interface SimpleCustomer {
  readonly name: string;
  /** Private = Yes: whois shows "Private Customer" / "Private Residence". */
  readonly privateResidence: boolean;
  readonly address: PostalAddress;
}

export interface ReassignSimpleCreate {
  readonly kind: 'reassign-simple.create';
  readonly range: IpRange;
  readonly networkName?: string;
  readonly originAs: readonly number[];
  readonly customer: SimpleCustomer;
  readonly publicComments: readonly string[];
}

export interface ReassignSimpleModify {
  readonly kind: 'reassign-simple.modify';
  /** Identifies the net. */
  readonly range: IpRange;
  readonly changes: {
    readonly networkName?: string | null;
    readonly originAs?: readonly number[] | null;
    readonly customerName?: string;
    readonly privateResidence?: boolean;
    readonly street?: readonly string[];
    readonly city?: string;
    readonly state?: string | null;
    readonly postalCode?: string | null;
    readonly country?: CountryCode;
    readonly publicComments?: readonly string[] | null;
  };
}

export interface ReassignSimpleRemove {
  readonly kind: 'reassign-simple.remove';
  readonly range: IpRange;
}

/* ---------- REASSIGN-DETAILED / REALLOCATE (v4 and v6) ---------- */

/** A POC written out in full inside a version-4 detailed/reallocate template (created, never modified). */
export interface EmbeddedPoc {
  readonly contactType: ContactType;
  readonly lastName: string;
  readonly firstName?: string;
  readonly companyName?: string;
  readonly address: PostalAddress;
  readonly officePhone: string;
  readonly email: string;
}

export type PocReference = { readonly handle: PocHandle } | { readonly create: EmbeddedPoc };

/** The downstream org of a version-4 template, written out to be created. */
export interface EmbeddedOrg {
  readonly name: string;
  readonly address: PostalAddress;
  readonly poc: PocReference;
}

export type DownstreamOrg = { readonly handle: OrgHandle } | { readonly create: EmbeddedOrg };

export interface NetPoc {
  readonly role: NetPocRole;
  readonly poc: PocReference;
}

export interface SubdelegationFields {
  readonly range: IpRange;
  readonly downstreamOrg: DownstreamOrg;
  readonly networkName: string;
  readonly originAs: readonly number[];
  /** IPv6 forms only. */
  readonly justification?: string;
  /** Version 4 IPv4 forms only. */
  readonly reverseNameservers: readonly string[];
  /** Version 4 only. */
  readonly netPocs: readonly NetPoc[];
  readonly publicComments: readonly string[];
  readonly additionalInfo?: string;
}

export interface ReassignDetailed extends SubdelegationFields {
  readonly kind: 'reassign-detailed';
}

export interface Reallocate extends SubdelegationFields {
  readonly kind: 'reallocate';
}

/* ---------- NET-MOD ---------- */

export interface NetModify {
  readonly kind: 'net.modify';
  /** Identifies the net. */
  readonly range: IpRange;
  readonly changes: {
    readonly networkName?: string;
    readonly originAs?: readonly number[] | null;
    readonly techPoc?: PocHandle | null;
    readonly abusePoc?: PocHandle | null;
    readonly nocPoc?: PocHandle | null;
    /** Version 4 only. */
    readonly reverseNameservers?: readonly string[] | null;
    readonly publicComments?: readonly string[] | null;
  };
  readonly additionalInfo?: string;
}

export interface NetRemove {
  readonly kind: 'net.remove';
  readonly range: IpRange;
  readonly additionalInfo?: string;
}

export type TemplateRequest =
  | PocCreate
  | PocModify
  | PocRemove
  | OrgCreate
  | OrgModify
  | OrgRemove
  | ReassignSimpleCreate
  | ReassignSimpleModify
  | ReassignSimpleRemove
  | ReassignDetailed
  | Reallocate
  | NetModify
  | NetRemove;

export type RequestKind = TemplateRequest['kind'];
