/** Small helpers shared by the form definitions. */
import type { Action, FieldSpec } from '../definition.ts';
import type { FieldValues } from '../field-values.ts';
import type { CountryCode, PostalAddress } from '../requests.ts';
import type { FieldKind } from '../values.ts';

type SpecOptions = Omit<FieldSpec, 'number' | 'label' | 'key' | 'kind'>;

export function field(
  number: string,
  label: string,
  key: string,
  kind: FieldKind,
  options: SpecOptions = {},
): FieldSpec {
  return { number, label, key, kind, ...options };
}

export const NEW: readonly Action[] = ['N'];
export const MODIFY_REMOVE: readonly Action[] = ['M', 'R'];
export const ALWAYS: readonly Action[] = ['N', 'M', 'R'];

export const apiKeyField = field('00', 'API Key', 'apiKey', 'apiKey');

/** Drops undefined properties, so "not written" is an absent key, not `key: undefined`. */
export function compact<T extends object>(value: T): T {
  const source = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k in source) if (source[k] !== undefined) out[k] = source[k];
  return out as T;
}

export interface AddressKeys {
  readonly street: string;
  readonly city: string;
  readonly state: string;
  readonly postalCode: string;
  readonly country: string;
}

export const ADDRESS_KEYS: AddressKeys = {
  street: 'street',
  city: 'city',
  state: 'state',
  postalCode: 'postalCode',
  country: 'country',
};

/**
 * A full postal address for a create. US and Canadian addresses need a state/province and a
 * postal code, as the registry's own processor demands. Undefined when a required part is missing
 * (already reported by the required-field check).
 */
export function postalAddress(
  values: FieldValues,
  keys: AddressKeys = ADDRESS_KEYS,
): PostalAddress | undefined {
  const street = values.strs(keys.street);
  const city = values.str(keys.city);
  const country = values.str(keys.country) as CountryCode | undefined;
  const state = values.str(keys.state);
  const postalCode = values.str(keys.postalCode);
  if (country === 'US' || country === 'CA') {
    if (!state)
      values.report(
        keys.state,
        'E_MISSING_FIELD',
        `a state or province is required for an address in ${country}`,
      );
    if (!postalCode)
      values.report(
        keys.postalCode,
        'E_MISSING_FIELD',
        `a postal code is required for an address in ${country}`,
      );
  }
  if (street.length === 0 || !city || !country) return undefined;
  return compact({ street, city, state, postalCode, country });
}

/** The address parts of a modify patch. */
export function addressPatch(values: FieldValues, keys: AddressKeys = ADDRESS_KEYS) {
  return {
    street: values.given(keys.street) ? values.strs(keys.street) : undefined,
    city: values.str(keys.city),
    state: values.patch(keys.state, values.str(keys.state)),
    postalCode: values.patch(keys.postalCode, values.str(keys.postalCode)),
    country: values.str(keys.country) as CountryCode | undefined,
  };
}

/**
 * A modify that changes nothing is almost always a sender's mistake: say so, with `why` when the
 * form knows what the sender may have hoped for.
 */
export function requireSomeChange(
  values: FieldValues,
  changes: object,
  where: string,
  why?: string,
): boolean {
  if (Object.keys(changes).length > 0) return true;
  values.report(
    where,
    'E_NOTHING_TO_CHANGE',
    `this modify request changes nothing: fill in the fields to change${why ? ` (${why})` : ''}`,
  );
  return false;
}
