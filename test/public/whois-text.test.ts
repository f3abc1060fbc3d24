/**
 * The WHOIS query syntax and the answer's lines, without servers: ARIN's flags, and values that
 * cannot forge lines (a client follows a `ReferralServer:` line wherever it appears).
 */
import { describe, expect, it } from 'vitest';
import { field, oneLine } from '../../src/public/whois-format.ts';
import { parseWhoisQuery } from '../../src/public/whois-query.ts';

describe('WHOIS queries', () => {
  it("reads ARIN's flags, handles, addresses, ranges and names", () => {
    expect(parseWhoisQuery('n + 192.0.2.1')).toMatchObject({
      kind: 'net-range',
      full: true,
      range: { version: 4 },
    });
    expect(parseWhoisQuery('+ n 192.0.2.0/24')).toMatchObject({ kind: 'net-range', full: true });
    expect(parseWhoisQuery('2001:db8::/32')).toMatchObject({
      kind: 'net-range',
      full: false,
      range: { version: 6 },
    });
    expect(parseWhoisQuery('192.0.2.0 - 192.0.2.255')).toMatchObject({ kind: 'net-range' });
    expect(parseWhoisQuery('net-192-0-2-0-1')).toEqual({
      kind: 'net-handle',
      handle: 'NET-192-0-2-0-1',
      full: false,
    });
    expect(parseWhoisQuery('o DEMOISP-1')).toEqual({ kind: 'org', handle: 'DEMOISP-1', full: false });
    expect(parseWhoisQuery('p + demo1-arin')).toEqual({ kind: 'poc', handle: 'DEMO1-ARIN', full: true });
    expect(parseWhoisQuery('c C00000001')).toEqual({ kind: 'customer', handle: 'C00000001', full: false });
    expect(parseWhoisQuery('a AS64500')).toEqual({ kind: 'asn', text: 'AS64500' });
    expect(parseWhoisQuery('Demo ISP')).toEqual({
      kind: 'name',
      only: undefined,
      text: 'Demo ISP',
      prefix: false,
      full: false,
    });
    expect(parseWhoisQuery('o Demo*')).toEqual({
      kind: 'name',
      only: 'org',
      text: 'Demo',
      prefix: true,
      full: false,
    });
    expect(parseWhoisQuery('?')).toEqual({ kind: 'help' });
  });

  it('says what it did not understand', () => {
    expect(parseWhoisQuery('')).toMatchObject({ kind: 'bad' });
    // `n NAME` is a search of nets by name (ARIN's), no longer refused.
    expect(parseWhoisQuery('n Demo ISP')).toMatchObject({ kind: 'name', only: 'net', text: 'Demo ISP' });
    expect(parseWhoisQuery('p 192.0.2.1')).toMatchObject({ kind: 'bad' });
    expect(parseWhoisQuery('! Demo ISP')).toMatchObject({
      kind: 'bad',
      reason: expect.stringContaining('not a handle'),
    });
    expect(parseWhoisQuery('*')).toMatchObject({ kind: 'bad' });
    expect(parseWhoisQuery('x'.repeat(300))).toMatchObject({ kind: 'bad' });
  });
});

describe('WHOIS lines', () => {
  it('keeps every value on its own line: a line break or escape in a name is shown, never sent', () => {
    const forged = 'Evil Corp\r\nReferralServer: whois://evil.example:43\u001b[2J\u2028';
    const line = field('OrgName', forged);
    expect(line).not.toMatch(/[\r\n\u001b\u2028]/);
    expect(line).toBe(
      'OrgName:        Evil Corp\\u000d\\u000aReferralServer: whois://evil.example:43\\u001b[2J\\u2028',
    );
    expect(oneLine('plain')).toBe('plain');
  });
});

describe('queries holding control characters', () => {
  it('are bad queries in WHOIS and RDAP searches, never a statement PostgreSQL refuses', async () => {
    const { searchPattern } = await import('../../src/public/rdap-routes.ts');
    expect(parseWhoisQuery('C00000101\u0000').kind).toBe('bad');
    expect(parseWhoisQuery('DEMO\u0007ISP').kind).toBe('bad');
    expect(parseWhoisQuery('DEMO1-ARIN').kind).not.toBe('bad');
    expect(searchPattern('name', 'ab\u0000').ok).toBe(false);
    expect(searchPattern('handle', 'AB\u0000*').ok).toBe(false);
    expect(searchPattern('name', 'Demo*').ok).toBe(true);
  });
});
