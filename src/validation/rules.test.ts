import { describe, expect, it } from 'vitest';
import { isDue, pocDisplayState, roundOf, unvalidatedRefusal } from './rules.ts';

const day = (s: string) => new Date(`${s}T00:00:00Z`);

describe('isDue', () => {
  const base = { validatedAt: null, lastAskedAt: null, reachable: 1, createdAt: day('2026-01-10') };
  it('a year after creation or the last validation, not before', () => {
    expect(isDue(base, day('2027-01-09'))).toBe(false);
    expect(isDue(base, day('2027-01-10'))).toBe(true);
    expect(isDue({ ...base, validatedAt: day('2026-06-01') }, day('2027-01-10'))).toBe(false);
  });
  it('not again within a year of the last mail (an invalid POC is asked again a year on), nor without an address', () => {
    expect(isDue({ ...base, lastAskedAt: day('2027-01-10') }, day('2027-03-12'))).toBe(false);
    expect(isDue({ ...base, lastAskedAt: day('2027-01-10') }, day('2028-01-10'))).toBe(true);
    expect(isDue({ ...base, reachable: 0 }, day('2028-01-10'))).toBe(false);
  });
  it('a round is its UTC day', () => {
    expect(roundOf(new Date('2027-12-08T23:59:59Z'))).toBe('2027-12-08');
  });
});

describe('unvalidatedRefusal', () => {
  const invalid = [{ handle: 'DEMO1-ARIN', state: 'invalid' as const }];
  it('holds an account whose every POC is invalid, but for a POC M of one of them', () => {
    expect(unvalidatedRefusal(invalid, { kind: 'net.modify' })?.code).toBe('E_POC_UNVALIDATED');
    expect(unvalidatedRefusal(invalid, { kind: 'poc.create' })?.code).toBe('E_POC_UNVALIDATED');
    expect(unvalidatedRefusal(invalid, { kind: 'poc.modify', handle: 'OTHER1-ARIN' })?.code).toBe(
      'E_POC_UNVALIDATED',
    );
    expect(unvalidatedRefusal(invalid, { kind: 'poc.modify', handle: 'demo1-arin' })).toBeUndefined();
  });
  it('does not hold an account with one POC valid or pending, or none at all', () => {
    expect(
      unvalidatedRefusal([...invalid, { handle: 'X1-ARIN', state: 'pending' }], { kind: 'net.modify' }),
    ).toBeUndefined();
    expect(unvalidatedRefusal([], { kind: 'net.modify' })).toBeUndefined();
  });
  it('says how to validate', () => {
    expect(unvalidatedRefusal(invalid, { kind: 'net.modify' })?.message).toMatch(
      /POC template \(ARIN-POC, action M\)/,
    );
  });
});

describe('pocDisplayState', () => {
  it('Unvalidated beside the handle once invalid, with an RDAP remark; nothing while valid or pending', () => {
    expect(pocDisplayState('invalid')).toMatchObject({
      unvalidated: true,
      label: 'Unvalidated',
      remark: { title: 'Unvalidated POC' },
    });
    expect(pocDisplayState('pending')).toEqual({ unvalidated: false });
    expect(pocDisplayState('valid')).toEqual({ unvalidated: false });
  });
});
