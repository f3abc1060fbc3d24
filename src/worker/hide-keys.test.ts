import { describe, expect, it } from 'vitest';
import { toAuditJson } from '../registry/index.ts';
import { hideKeysBeforeStoring } from './hide-keys.ts';

const KEY = 'API-1234-5678-9ABC-DEF0';

describe('hiding keys before storing', () => {
  const request = {
    kind: 'reassign-simple',
    customer: { name: 'Customer 151A', address: ['1 Main St', 'Suite 2'] },
    range: { start: 42n, end: 57n },
    comments: ['first line', 'second line'],
  };

  it('hands back the value itself when no string holds a key (nothing copied)', () => {
    const { value, changed } = hideKeysBeforeStoring(request);
    expect(changed).toBe(false);
    expect(value).toBe(request);
  });

  it('copies only what holds a key, and leaves the value it was given as it was', () => {
    const leaky = { ...request, comments: ['first line', `our key ${KEY}`] };
    const { value, changed } = hideKeysBeforeStoring(leaky);
    expect(changed).toBe(true);
    expect(value.comments).toEqual(['first line', 'our key API-****-****-****-DEF0']);
    expect(leaky.comments[1]).toContain(KEY);
    expect(value.customer).toBe(leaky.customer);
    expect(JSON.stringify(toAuditJson(value))).not.toContain('9ABC');
  });
});

describe('the audit form of a value', () => {
  it('is the value itself when it holds only plain values', () => {
    const plain = { name: 'x', n: 1, list: ['a', { b: true }], gone: undefined };
    expect(toAuditJson(plain)).toBe(plain);
    expect(JSON.stringify(toAuditJson(plain))).toBe('{"name":"x","n":1,"list":["a",{"b":true}]}');
  });

  it('turns bigints, Dates, undefined elements and class objects into plain values, the rest kept', () => {
    const when = new Date('2026-12-07T10:00:00Z');
    const value = {
      gone: undefined,
      a: 'kept',
      range: { start: 42n },
      at: when,
      list: [undefined, 1],
      url: new URL('http://x/'),
    };
    expect(toAuditJson(value)).toEqual({
      a: 'kept',
      range: { start: '42' },
      at: when.toISOString(),
      list: [null, 1],
      url: {},
    });
    expect(Object.keys(toAuditJson(value) as object)).toEqual(['a', 'range', 'at', 'list', 'url']);
  });
});
