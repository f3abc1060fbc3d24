import { describe, expect, it } from 'vitest';
import { parseRange } from '../ip/index.ts';
import { netHandleStem, orgHandleStem, pocHandleStem } from './handles.ts';
import { publicCustomer } from './presentation.ts';
import { checkHandle, checkPrefixSize, netNameFromCustomer, sizeNeedsReview } from './rules.ts';
import type { Customer } from './types.ts';

const range = (text: string) => {
  const parsed = parseRange(text);
  if (!parsed.ok) throw new Error(parsed.error.message);
  return parsed.value;
};

describe('registry rules', () => {
  it('derives handle stems the registry way', () => {
    expect(pocHandleStem('person', 'Doe', 'John')).toBe('DOEJO');
    expect(pocHandleStem('person', 'Müller-Lüdenscheidt', 'Ösel')).toBe('MULOS');
    expect(pocHandleStem('role', 'Network Operations Center')).toBe('NOC');
    expect(pocHandleStem('role', 'Abuse')).toBe('ABUSE');
    expect(orgHandleStem('Acme Widgets, Inc.')).toBe('ACMEWIDG');
    expect(netHandleStem(range('192.0.2.0/24'))).toBe('NET-192-0-2-0');
    expect(netHandleStem(range('2001:db8::/32'))).toBe('NET6-2001-DB8');
    expect(netHandleStem(range('2001:db8:0:1::/64'))).toBe('NET6-2001-DB8-0-1');
  });

  it('checks handle shapes, upper-casing what senders write', () => {
    expect(checkHandle('poc', ' jd123-arin ')).toEqual({ ok: true, value: 'JD123-ARIN' });
    expect(checkHandle('org', 'example-1')).toEqual({ ok: true, value: 'EXAMPLE-1' });
    expect(checkHandle('net', 'NET6-2001-DB8-1').ok).toBe(true);
    expect(checkHandle('customer', 'C0123456').ok).toBe(false);
    const bad = checkHandle('poc', 'JD-ARIN');
    expect(!bad.ok && bad.error).toEqual({
      code: 'E_INVALID_HANDLE',
      message: '"JD-ARIN" is not a POC handle (like JD123-ARIN)',
    });
  });

  it('takes IPv4 down to a /29 and IPv6 down to a /64; staff may waive it', () => {
    expect(checkPrefixSize(range('192.0.2.0/29'), {}).ok).toBe(true);
    expect(checkPrefixSize(range('192.0.2.0 - 192.0.2.6'), {}).ok).toBe(false);
    expect(checkPrefixSize(range('192.0.2.0/30'), { waive: ['E_PREFIX_TOO_SMALL'] }).ok).toBe(true);
    expect(checkPrefixSize(range('2001:db8::/64'), {}).ok).toBe(true);
    const small = checkPrefixSize(range('2001:db8::/65'), {});
    expect(!small.ok && small.error.code).toBe('E_PREFIX_TOO_SMALL');
  });

  it('sends IPv4 of a /20 or more to review, never IPv6 by size', () => {
    expect(sizeNeedsReview(range('10.0.0.0/20'))).toBe(true);
    expect(sizeNeedsReview(range('10.0.0.0 - 10.0.16.0'))).toBe(true);
    expect(sizeNeedsReview(range('10.0.0.0/21'))).toBe(false);
    expect(sizeNeedsReview(range('2001:db8::/32'))).toBe(false);
  });

  it('names networks after their customer, never after a private person', () => {
    expect(netNameFromCustomer('Acme Widgets, Inc.', false)).toBe('ACME-WIDGETS-INC');
    expect(netNameFromCustomer('Jane Q. Public', true)).toBe('PRIVATE-CUSTOMER');
    expect(netNameFromCustomer('***', false)).toBe('CUSTOMER');
  });

  it('publishes a business customer as it is', () => {
    const customer = {
      handle: 'C00000001',
      name: 'Acme Widgets',
      street: ['1 Main St'],
      city: 'Springfield',
      state: 'VA',
      postalCode: '22150',
      country: 'US',
      privateResidence: false,
    } as Customer;
    expect(publicCustomer(customer, { name: 'Demo ISP' })).toMatchObject({
      name: 'Acme Widgets',
      street: ['1 Main St'],
    });
  });
});
