/**
 * How registry objects are shown to the public (whois-style). A private-residence customer is
 * published as "Private Customer - <upstream org name>" with "Private Residence" as the street;
 * the real city, state, postal code and country are kept and shown.
 */
import type { Customer, Org } from './types.ts';

export interface PublicCustomer {
  readonly handle: string;
  readonly name: string;
  readonly street: readonly string[];
  readonly city: string;
  readonly state: string | null;
  readonly postalCode: string | null;
  readonly country: string;
}

export function publicCustomer(customer: Customer, upstream: Pick<Org, 'name'> | undefined): PublicCustomer {
  const shown = {
    handle: customer.handle,
    city: customer.city,
    state: customer.state,
    postalCode: customer.postalCode,
    country: customer.country,
  };
  if (!customer.privateResidence) return { ...shown, name: customer.name, street: customer.street };
  return {
    ...shown,
    name: upstream ? `Private Customer - ${upstream.name}` : 'Private Customer',
    street: ['Private Residence'],
  };
}

/** `CustName:`, `Address:`, ... lines, as whois prints a customer. */
export function customerWhoisLines(view: PublicCustomer): string[] {
  return [
    `CustName:       ${view.name}`,
    ...view.street.map((line) => `Address:        ${line}`),
    `City:           ${view.city}`,
    ...(view.state ? [`StateProv:      ${view.state}`] : []),
    ...(view.postalCode ? [`PostalCode:     ${view.postalCode}`] : []),
    `Country:        ${view.country}`,
    `Handle:         ${view.handle}`,
  ];
}
