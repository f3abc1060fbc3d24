/**
 * How the console prints an address: ASCII domains (xn-- kept, never decoded), a mark naming the
 * scripts of anything beyond ASCII, invisible characters made visible, and HTML escaped.
 */
import { describe, expect, it } from 'vitest';
import { actorHtml, addressHtml, showAddress } from '../../src/console/addresses.ts';

describe('showing addresses', () => {
  it.each([
    ['billing@isp.example', 'billing@isp.example', undefined],
    ['bill\u0456ng@isp.example', 'bill\u0456ng@isp.example', 'mixed scripts: Latin + Cyrillic'],
    [
      'billing@p\u0430ypal.example',
      'billing@xn--pypal-4ve.example',
      'mixed scripts: Latin + Cyrillic; internationalised domain, shown as xn--',
    ],
    [
      'billing@xn--pypal-4ve.example',
      'billing@xn--pypal-4ve.example',
      'mixed scripts: Latin + Cyrillic; internationalised domain, shown as xn--',
    ],
    [
      'noc@\u0430\u0440\u0440\u04cf\u0435.com',
      'noc@xn--80ak6aa92e.com',
      'mixed scripts: Latin + Cyrillic; internationalised domain, shown as xn--',
    ],
    [
      'jos\u00e9@m\u00fcnchen.de',
      'jos\u00e9@xn--mnchen-3ya.de',
      'not plain ASCII (Latin); internationalised domain, shown as xn--',
    ],
    ['a\u200b@x.example', 'a<U+200B>@x.example', 'not plain ASCII (Latin); invisible characters'],
    [
      'noc@\u03b1\u03c1\u03b9\u03bd.example',
      'noc@xn--mxaqmo.example',
      'mixed scripts: Latin + Greek; internationalised domain, shown as xn--',
    ],
  ])('%s', (raw, text, warning) => {
    expect(showAddress(raw)).toEqual({ text, warning });
  });

  it('escapes what it prints and marks it visibly', () => {
    expect(addressHtml('<b>@x.example')).toContain('&#60;b&#62;');
    expect(addressHtml('bill\u0456ng@isp.example')).toBe(
      '<span class="address">bill\u0456ng@isp.example</span> <mark class="homograph" title="mixed scripts: Latin + Cyrillic">⚠ mixed scripts: Latin + Cyrillic</mark>',
    );
    expect(addressHtml(null)).toBe('—');
    expect(actorHtml('staff:alice@p\u0430ypal.example')).toContain(
      'staff:<span class="address">alice@xn--pypal-4ve.example',
    );
    expect(actorHtml('account:<12>')).toBe('account:&#60;12&#62;');
  });
});
