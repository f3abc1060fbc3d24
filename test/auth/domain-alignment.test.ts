import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { apiKeyHint, domainsAlign } from '../../src/auth/index.ts';
import { apiKeyDigest } from '../../src/registry/index.ts';

describe('domainsAlign', () => {
  it.each([
    ['demo-isp.example', 'demo-isp.example', true],
    ['Demo-ISP.Example.', 'demo-isp.example', true],
    ['mail.demo-isp.example', 'demo-isp.example', true],
    ['demo-isp.example', 'noc.demo-isp.example', true],
    ['a.demo-isp.example', 'b.demo-isp.example', false],
    ['evil.co.uk', 'victim.co.uk', false],
    ['demo-isp.example.evil.example', 'demo-isp.example', false],
    ['xdemo-isp.example', 'demo-isp.example', false],
    ['example', 'demo.example', false],
    ['', 'demo-isp.example', false],
    ['demo-isp.example', '', false],
    // Internationalized names: DKIM signs with the A-label, the From may carry the U-label.
    ['xn--mnchen-3ya.example', 'münchen.example', true],
    ['mail.xn--mnchen-3ya.example', 'MÜNCHEN.example', true],
    ['münchen.example', 'xn--mnchen-3ya.example', true],
    ['xn--mnchen-3ya.example', 'munchen.example', false],
  ])('%s for %s: %s', (signer, from, expected) => {
    expect(domainsAlign(signer, from)).toBe(expected);
  });
});

describe('API key digests', () => {
  it('are the SHA-256 hex of the upper-cased key, whatever case was written', () => {
    const expected = createHash('sha256').update('API-1111-2222-3333-1A2B').digest('hex');
    expect(apiKeyDigest('API-1111-2222-3333-1A2B')).toBe(expected);
    expect(apiKeyDigest(' api-1111-2222-3333-1a2b ')).toBe(expected);
  });

  it('are shown to humans by their last group only', () => {
    expect(apiKeyHint('api-1111-2222-3333-1a2b')).toBe('API-****-****-****-1A2B');
    expect(apiKeyHint('API-garbage')).toBe('API-****');
  });
});
