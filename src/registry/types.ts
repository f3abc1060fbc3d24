/**
 * What the registry holds and what its operations take and give back. Inputs are plain values
 * shaped like the template parser's requests (src/templates/requests.ts) so the worker can hand
 * them over as they are; the registry imports nothing from the parser.
 */

import type { InferSelectModel } from 'drizzle-orm';
import type { NetType, tables } from '../db/index.ts';
import type { IpRange } from '../ip/index.ts';
import type { ErrorCode, Problem, Result } from '../shared/index.ts';
import type { AuditRow } from './audit.ts';
import type { PlacedReassignment } from './customer-and-net.ts';
import type { HandleReservations } from './handles.ts';
import type { TurnsHeld } from './turns.ts';

export type Org = InferSelectModel<typeof tables.orgs>;
export type Poc = InferSelectModel<typeof tables.pocs>;
export type Customer = InferSelectModel<typeof tables.customers>;
export type Net = InferSelectModel<typeof tables.nets>;
export type Ticket = InferSelectModel<typeof tables.tickets>;
export type { NetPocRole, NetType, OrgPocRole, PocPhone, TicketStatus } from '../db/index.ts';

/** Who asks for a change: written on every audit row. */
export type Actor =
  | { readonly kind: 'account'; readonly accountId: number }
  | { readonly kind: 'staff'; readonly email: string }
  | { readonly kind: 'system'; readonly name: string };

/** Where a change comes from: the actor, and the ticket and submission it belongs to. */
export interface OperationContext {
  readonly actor: Actor;
  readonly ticketNumber?: string;
  readonly submissionId?: string;
  /**
   * Audit rows gathered instead of written one statement each. Only for a caller that runs the
   * operation as a whole and keeps its rows only when the operation was applied: an operation
   * that is refused rolls back to its savepoint, and its gathered rows must go with it.
   */
  readonly pendingAudit?: AuditRow[];
  /**
   * The form's words for a request's field keys (`publicComments` -> `Public Comments`): how a
   * modify's answer names what changed. Without it (staff tools, tests) the keys are shown.
   */
  readonly fieldWords?: (key: string) => string | undefined;
  /** Numbers reserved for new POCs before the transaction (see `takeMessageNumbers`). */
  readonly reservedHandles?: HandleReservations;
  /**
   * The account the request came from: a POC it creates (`createPoc`) is linked to it, so it
   * may later modify or remove it. Left out (the seed, staff tools): no link.
   */
  readonly requesterAccount?: number;
  /**
   * The turns (turns.ts) the transaction already holds, taken ahead by a message's first
   * statement: a create whose turn is among them sends no statement for it.
   */
  readonly turnsHeld?: TurnsHeld;
}

export interface OperationOptions {
  /** Staff override: rules named here are not enforced (e.g. `E_PREFIX_TOO_SMALL`). */
  readonly waive?: readonly ErrorCode[];
  /** Staff has reviewed the request: apply it even where a review would otherwise be required. */
  readonly staffApproved?: boolean;
  /**
   * No savepoint for a simple reassignment, which refuses only before it writes (one statement
   * that writes when every check passes): the caller runs its whole transaction again, with
   * savepoints, if that statement fails (a sibling inserted by another request at the same
   * moment). A message's transaction sets it: a savepoint is a round trip per template.
   */
  readonly withoutSavepoint?: boolean;
  /**
   * A new net's parent must be one the requester may sub-delegate from: checked by the registry
   * on the parent it places the net under, read and locked by the same statement (one round
   * trip, and no parent slipping in between a check and the placement). Left out: no check
   * (staff runs that waive it, the seed, the console's own tools).
   */
  readonly delegation?: DelegationAuthority;
  /**
   * A dry run: the caller undoes the transaction, so nothing may be taken outside it. Customer
   * handles come from a sequence, whose numbers a rollback does not give back: a dry run's
   * customers are numbered after the sequence's last number without taking one (`next` counts
   * them within the run, so two customers of one dry run do not collide).
   */
  readonly dryRun?: DryRunNumbers;
  /**
   * A new simple reassignment already placed (and written, if every check passed) by the one
   * statement of several of its message's (reassignments-together.ts): what that statement
   * answered for it, judged as its own statement's answer would be.
   */
  readonly placed?: PlacedReassignment;
}

/** What a dry run numbers on its own (OperationOptions.dryRun). */
export interface DryRunNumbers {
  /** 1 for the run's first customer, 2 for the next... */
  nextCustomer(): number;
}

/** A new net's parent with what the requesting account holds on it (`holderFlags`). */
export interface DelegatingParent {
  readonly handle: string;
  readonly type: NetType;
  readonly orgHandle: string | null;
  readonly customerHandle: string | null;
  readonly orgAdmin: boolean;
  readonly orgTech: boolean;
  readonly netTech: boolean;
}

/** Which of the requester's links to a net let them sub-delegate from it (src/auth's rule, as data). */
export type DelegationGrants = Readonly<Record<'orgAdmin' | 'orgTech' | 'netTech', boolean>>;

/**
 * Whose authority a new net's parent is checked against, and the rule (src/auth's): `verdict`
 * says why not; `grants` is the same rule as data, for a statement that writes only when it holds.
 */
export interface DelegationAuthority {
  readonly accountId: number;
  readonly grants: DelegationGrants;
  verdict(parent: DelegatingParent): Result<void, Problem>;
}

/**
 * What an operation did. `pending_review` means nothing was written: the worker keeps the ticket
 * open and the same request, called again with `staffApproved`, applies it.
 */
export interface AppliedOutcome {
  readonly status: 'applied';
  /** Handles created or changed, e.g. `{ net: 'NET-198-51-100-0-1', customer: 'C00000001' }`. */
  readonly handles: Readonly<Record<string, string>>;
  /** Sentences for the reply, one per thing done (or deliberately not done). */
  readonly summary: readonly string[];
  /** A new net's parent, as found when it was placed (the reply's summary names it too). */
  readonly placedUnder?: string;
  /**
   * Nothing was written: a resend of what the requester already registered (registry/resend.ts),
   * or a modify that gives every value the record already holds (registry/changes.ts). The
   * handles are the existing ones; no audit row, no notice.
   */
  readonly unchanged?: true;
}

export type Outcome = AppliedOutcome | { readonly status: 'pending_review'; readonly reason: string };

export interface PostalAddress {
  readonly street: readonly string[];
  readonly city: string;
  readonly state?: string | undefined;
  readonly postalCode?: string | undefined;
  /** ISO 3166-1 alpha-2. */
  readonly country: string;
}

/* ---------- POCs ---------- */

export interface PocInput {
  readonly contactType: 'person' | 'role';
  /** Last name, or the role's name for a role POC. */
  readonly lastName: string;
  readonly firstName?: string | undefined;
  readonly middleName?: string | undefined;
  readonly companyName?: string | undefined;
  readonly address: PostalAddress;
  readonly officePhones: readonly string[];
  /** Extension of the first office phone. */
  readonly officePhoneExtension?: string | undefined;
  /** Extension of each office phone, by position (null: none); when given, it wins over the one above. */
  readonly officePhoneExtensions?: readonly (string | null)[] | undefined;
  readonly emails: readonly string[];
  readonly mobilePhone?: string | undefined;
  readonly fax?: string | undefined;
  readonly publicComments: readonly string[];
}

/** Modify patch: absent = unchanged, null = cleared (NONE). Contact type never changes. */
export interface PocChanges {
  /** The type the sender wrote, never applied: another than the stored one is answered with a note. */
  readonly contactType?: 'person' | 'role';
  readonly lastName?: string | null;
  readonly firstName?: string | null;
  readonly middleName?: string | null;
  readonly companyName?: string | null;
  readonly street?: readonly string[] | null;
  readonly city?: string | null;
  readonly state?: string | null;
  readonly postalCode?: string | null;
  readonly country?: string | null;
  readonly officePhones?: readonly string[] | null;
  readonly officePhoneExtension?: string | null;
  readonly officePhoneExtensions?: readonly (string | null)[] | null;
  readonly emails?: readonly string[] | null;
  readonly mobilePhone?: string | null;
  readonly fax?: string | null;
  readonly publicComments?: readonly string[] | null;
}

/* ---------- Orgs ---------- */

export interface OrgInput {
  readonly legalName: string;
  readonly doingBusinessAs?: string | undefined;
  readonly taxId?: string | undefined;
  readonly address: PostalAddress;
  readonly adminPoc: string;
  readonly techPocs: readonly string[];
  readonly abusePocs: readonly string[];
  readonly nocPocs: readonly string[];
  /** `rwhois://host:port`. */
  readonly referralServer?: string | undefined;
  readonly publicComments: readonly string[];
}

export interface OrgChanges {
  readonly legalName?: string | null;
  readonly doingBusinessAs?: string | null;
  readonly taxId?: string | null;
  readonly street?: readonly string[] | null;
  readonly city?: string | null;
  readonly state?: string | null;
  readonly postalCode?: string | null;
  readonly country?: string | null;
  readonly adminPoc?: string | null;
  readonly techPocs?: readonly string[] | null;
  readonly abusePocs?: readonly string[] | null;
  readonly nocPocs?: readonly string[] | null;
  readonly referralServer?: string | null;
  readonly publicComments?: readonly string[] | null;
}

/* ---------- Simple reassignments ---------- */

export interface SimpleCustomerInput {
  readonly name: string;
  /** A private residence: published as "Private Customer" / "Private Residence". */
  readonly privateResidence: boolean;
  readonly address: PostalAddress;
}

export interface SimpleReassignmentInput {
  readonly range: IpRange;
  /** Derived from the customer's name when absent. */
  readonly networkName?: string | undefined;
  readonly originAs: readonly number[];
  readonly customer: SimpleCustomerInput;
  readonly publicComments: readonly string[];
}

export interface SimpleReassignmentChanges {
  readonly networkName?: string | null;
  readonly originAs?: readonly number[] | null;
  readonly customerName?: string;
  readonly privateResidence?: boolean;
  readonly street?: readonly string[];
  readonly city?: string;
  readonly state?: string | null;
  readonly postalCode?: string | null;
  readonly country?: string;
  readonly publicComments?: readonly string[] | null;
}

/* ---------- Reallocations and detailed reassignments ---------- */

/** A POC written out in a version-4 template: always created, never used to change an existing one. */
export interface EmbeddedPocInput {
  readonly contactType: 'person' | 'role';
  readonly lastName: string;
  readonly firstName?: string | undefined;
  readonly companyName?: string | undefined;
  readonly address: PostalAddress;
  readonly officePhone: string;
  readonly email: string;
}

/** An existing POC by handle, or one to create. Never both: a given handle is used as it is. */
export type PocReference = { readonly handle: string } | { readonly create: EmbeddedPocInput };

export interface EmbeddedOrgInput {
  readonly name: string;
  readonly address: PostalAddress;
  /** Becomes the new org's admin and tech POC, so it must be a person. */
  readonly poc: PocReference;
}

export type DownstreamOrgReference = { readonly handle: string } | { readonly create: EmbeddedOrgInput };

export interface SubdelegationInput {
  readonly range: IpRange;
  readonly downstreamOrg: DownstreamOrgReference;
  readonly networkName: string;
  readonly originAs: readonly number[];
  readonly justification?: string | undefined;
  readonly reverseNameservers: readonly string[];
  readonly netPocs: readonly { readonly role: 'tech' | 'abuse' | 'noc'; readonly poc: PocReference }[];
  readonly publicComments: readonly string[];
}

/* ---------- Net-Mod ---------- */

export interface NetChanges {
  readonly networkName?: string;
  readonly originAs?: readonly number[] | null;
  /** Replaces the net's POC of that role; null removes it. */
  readonly techPoc?: string | null;
  readonly abusePoc?: string | null;
  readonly nocPoc?: string | null;
  readonly reverseNameservers?: readonly string[] | null;
  readonly publicComments?: readonly string[] | null;
}
