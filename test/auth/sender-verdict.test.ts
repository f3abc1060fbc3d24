/**
 * verifySender with real signatures (made by the committed test key) and a DNS table instead
 * of the Internet: which mail may be trusted by its From address.
 */
import dgram from 'node:dgram';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createSystemResolver, signatureIdentity, verifySender } from '../../src/auth/index.ts';
import { dkimSignMessage, failingResolver, stubResolver } from '../support/dkim.ts';
import { message } from './mail.ts';

const MX = { remoteAddress: '192.0.2.10', heloName: 'mx.demo-isp.example' };

describe('verifySender', () => {
  it('accepts a message DKIM-signed by the From domain', async () => {
    const signed = await dkimSignMessage(message(), 'demo-isp.example');
    const verdict = await verifySender(signed, {
      ...MX,
      envelopeFrom: 'noc@demo-isp.example',
      resolver: stubResolver({ dkimDomains: ['demo-isp.example'] }),
    });
    expect(verdict).toMatchObject({
      fromAddress: 'noc@demo-isp.example',
      fromDomain: 'demo-isp.example',
      dkim: { result: 'pass', domains: ['demo-isp.example'] },
      aligned: true,
      alignedBy: 'dkim',
      temporary: false,
    });
    expect(verdict.summary).toContain('dkim=pass (demo-isp.example)');
  });

  it('the test signer signs the t= it writes, even across a half second', async () => {
    // mailauth rounds Date.now() for t= each time it formats the header: the clock read while
    // signing says x.4999 s, the one read while writing says x.5 s (a flaky "bad signature").
    const readings = [1_796_561_940_499, 1_796_561_940_500];
    const now = vi.spyOn(Date, 'now').mockImplementation(() => readings.shift() ?? 1_796_561_940_500);
    let signed: Buffer;
    try {
      signed = await dkimSignMessage(message(), 'demo-isp.example');
    } finally {
      now.mockRestore();
    }
    const verdict = await verifySender(signed, {
      ...MX,
      resolver: stubResolver({ dkimDomains: ['demo-isp.example'] }),
    });
    expect(verdict.summary).toContain('dkim=pass (demo-isp.example)');
  });

  it('accepts a signature of a parent or child domain of From, not of a sibling', async () => {
    const resolver = stubResolver({
      dkimDomains: ['mail.demo-isp.example', 'demo-isp.example', 'b.demo-isp.example'],
    });
    const byChild = await dkimSignMessage(message(), 'mail.demo-isp.example');
    expect((await verifySender(byChild, { ...MX, resolver })).aligned).toBe(true);
    const byParent = await dkimSignMessage(message({ from: 'noc@ops.demo-isp.example' }), 'demo-isp.example');
    expect((await verifySender(byParent, { ...MX, resolver })).aligned).toBe(true);
    const bySibling = await dkimSignMessage(
      message({ from: 'noc@a.demo-isp.example' }),
      'b.demo-isp.example',
    );
    expect((await verifySender(bySibling, { ...MX, resolver })).aligned).toBe(false);
  });

  it('refuses a spoofed From without a signature', async () => {
    const verdict = await verifySender(message(), {
      ...MX,
      envelopeFrom: 'someone@spoofer.example',
      resolver: stubResolver({ dkimDomains: ['demo-isp.example'] }),
    });
    expect(verdict).toMatchObject({
      dkim: { result: 'none', domains: [] },
      aligned: false,
      temporary: false,
    });
    expect(verdict.summary).toContain('dkim=none');
  });

  it('refuses a valid signature by an unrelated domain', async () => {
    const signed = await dkimSignMessage(message(), 'spoofer.example');
    const verdict = await verifySender(signed, {
      ...MX,
      envelopeFrom: 'bounce@spoofer.example',
      resolver: stubResolver({
        dkimDomains: ['spoofer.example'],
        spf: { 'spoofer.example': 'v=spf1 ip4:192.0.2.10 -all' },
      }),
    });
    expect(verdict.dkim).toEqual({ result: 'pass', domains: ['spoofer.example'] });
    expect(verdict.spf).toEqual({ result: 'pass', domain: 'spoofer.example' });
    expect(verdict.aligned).toBe(false);
  });

  it('refuses a signature whose public key is not published', async () => {
    const signed = await dkimSignMessage(message(), 'demo-isp.example');
    const verdict = await verifySender(signed, { ...MX, resolver: stubResolver() });
    expect(verdict.dkim.result).toBe('neutral');
    expect(verdict.aligned).toBe(false);
  });

  it('refuses a signed message whose body was changed on the way', async () => {
    const signed = await dkimSignMessage(message(), 'demo-isp.example');
    const tampered = Buffer.from(signed.toString().replace('Demo', 'Evil'));
    const verdict = await verifySender(tampered, {
      ...MX,
      resolver: stubResolver({ dkimDomains: ['demo-isp.example'] }),
    });
    expect(verdict.dkim.result).not.toBe('pass');
    expect(verdict.aligned).toBe(false);
  });

  it('refuses a signature that does not cover From', async () => {
    const signed = await dkimSignMessage(message(), 'demo-isp.example', {
      headerList: ['Subject', 'To', 'Date'],
    });
    const verdict = await verifySender(signed, {
      ...MX,
      resolver: stubResolver({ dkimDomains: ['demo-isp.example'] }),
    });
    expect(verdict.dkim).toEqual({ result: 'policy', domains: [] });
    expect(verdict.summary).toContain('does not cover From');
    expect(verdict.aligned).toBe(false);
  });

  it('refuses a signature limited to part of the body (l=) when more was appended', async () => {
    const original = message();
    const bodyLength = original.length - original.indexOf('\r\n\r\n') - 4;
    const signed = await dkimSignMessage(original, 'demo-isp.example', { maxBodyLength: bodyLength });
    const appended = Buffer.concat([
      signed,
      Buffer.from('\r\nTemplate: ARIN-POC-5.0\r\n** Registration Action: R\r\n'),
    ]);
    const resolver = stubResolver({ dkimDomains: ['demo-isp.example'] });
    expect((await verifySender(signed, { ...MX, resolver })).aligned).toBe(true);
    const verdict = await verifySender(appended, { ...MX, resolver });
    expect(verdict.aligned).toBe(false);
    expect(verdict.summary).toContain('only part of the body');
  });

  it('does not trust a message with two From addresses', async () => {
    const twoFroms = message({ from: ['noc@demo-isp.example', 'noc@other-isp.example'] });
    const signed = await dkimSignMessage(twoFroms, 'demo-isp.example');
    const verdict = await verifySender(signed, {
      ...MX,
      resolver: stubResolver({ dkimDomains: ['demo-isp.example'] }),
    });
    expect(verdict.fromAddress).toBeUndefined();
    expect(verdict.aligned).toBe(false);
  });

  it('accepts SPF pass for an envelope sender aligned with From', async () => {
    const verdict = await verifySender(message(), {
      ...MX,
      envelopeFrom: 'bounces@lists.demo-isp.example',
      resolver: stubResolver({ spf: { 'lists.demo-isp.example': 'v=spf1 ip4:192.0.2.0/24 -all' } }),
    });
    expect(verdict).toMatchObject({
      dkim: { result: 'none' },
      spf: { result: 'pass', domain: 'lists.demo-isp.example' },
      aligned: true,
      alignedBy: 'spf',
    });
  });

  it('refuses SPF from a host the domain does not list', async () => {
    const verdict = await verifySender(message(), {
      remoteAddress: '203.0.113.99',
      envelopeFrom: 'noc@demo-isp.example',
      resolver: stubResolver({ spf: { 'demo-isp.example': 'v=spf1 ip4:192.0.2.0/24 -all' } }),
    });
    expect(verdict.spf.result).toBe('fail');
    expect(verdict.aligned).toBe(false);
  });

  it('checks DKIM but not SPF when there is no client address (stdin submissions)', async () => {
    const resolver = stubResolver({
      dkimDomains: ['demo-isp.example'],
      spf: { 'demo-isp.example': 'v=spf1 +all' },
    });
    const unsigned = await verifySender(message(), { envelopeFrom: 'noc@demo-isp.example', resolver });
    expect(unsigned.spf.result).toBe('none');
    expect(unsigned.aligned).toBe(false);
    const signed = await verifySender(await dkimSignMessage(message(), 'demo-isp.example'), { resolver });
    expect(signed.aligned).toBe(true);
  });

  it('says temperror, and that it may pass later, when DNS fails', async () => {
    const signed = await dkimSignMessage(message(), 'demo-isp.example');
    const verdict = await verifySender(signed, {
      ...MX,
      envelopeFrom: 'noc@demo-isp.example',
      resolver: failingResolver(),
    });
    expect(verdict).toMatchObject({ dkim: { result: 'temperror' }, spf: { result: 'temperror' } });
    expect(verdict.aligned).toBe(false);
    expect(verdict.temporary).toBe(true);
  });

  it('never throws on garbage', async () => {
    const resolver = stubResolver();
    const samples = [
      Buffer.alloc(0),
      Buffer.from('\x00\xff\xfe garbage without headers'),
      Buffer.from('From: <<<@@@>>>\r\nDKIM-Signature: v=1; a=rsa-sha256; d=; b=%%%\r\n\r\nx'),
      Buffer.from(`Subject: ${'x'.repeat(200_000)}\r\n\r\n`),
      Buffer.from(
        'DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=demo-isp.example; s=x; h=from; bh=AAA=; b=AAA=\r\nFrom: noc@demo-isp.example\r\n\r\nhello',
      ),
    ];
    for (const raw of samples) {
      const verdict = await verifySender(raw, { ...MX, envelopeFrom: '', resolver });
      expect(verdict.aligned).toBe(false);
      expect(typeof verdict.summary).toBe('string');
    }
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2000 }), async (bytes) => {
        const verdict = await verifySender(Buffer.from(bytes), { envelopeFrom: 'x@y.example', resolver });
        return verdict.aligned === false;
      }),
      { numRuns: 60 },
    );
  });
});

describe('createSystemResolver', () => {
  // A name server that never answers: the lookup must give up quickly, as temperror.
  let silent: dgram.Socket;
  let port = 0;
  beforeAll(async () => {
    silent = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    port = silent.address().port;
  });
  afterAll(() => {
    silent.close();
  });

  it('gives up on a silent name server within its timeout, and mailauth reports temperror', async () => {
    const resolver = createSystemResolver({ timeoutMs: 300, servers: [`127.0.0.1:${port}`] });
    const started = Date.now();
    const signed = await dkimSignMessage(message(), 'demo-isp.example');
    const verdict = await verifySender(signed, { ...MX, envelopeFrom: 'noc@demo-isp.example', resolver });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(verdict.dkim.result).toBe('temperror');
    expect(verdict.temporary).toBe(true);
  });
});

describe('the signatures that vouch for the sender', () => {
  const resolver = stubResolver({
    dkimDomains: ['demo-isp.example', 'esp.example'],
    spf: { 'demo-isp.example': 'v=spf1 ip4:192.0.2.10 -all' },
  });

  it('are named the same however the message around them is changed, and differ for a new message', async () => {
    const signed = await dkimSignMessage(message(), 'demo-isp.example');
    const verdict = await verifySender(signed, { ...MX, envelopeFrom: 'noc@demo-isp.example', resolver });
    expect(verdict.alignedBy).toBe('dkim');
    expect(verdict.alignedSignatures).toHaveLength(1);
    expect(verdict.alignedSignatures![0]).toMatch(/^[0-9a-f]{64}$/);

    // Sent again, one hop further, from another host and envelope: the same signature.
    const relayed = Buffer.concat([
      Buffer.from('Received: from relay.elsewhere.example by mx.elsewhere.example; Wed, 25 Nov 2026\r\n'),
      signed,
    ]);
    const again = await verifySender(relayed, {
      remoteAddress: '203.0.113.9',
      envelopeFrom: 'bounces@elsewhere.example',
      resolver,
    });
    expect(again.aligned).toBe(true);
    expect(again.alignedSignatures).toEqual(verdict.alignedSignatures);

    // A new message of the same sender carries a new signature.
    const fresh = await dkimSignMessage(message({ subject: 'Another POC update' }), 'demo-isp.example');
    const other = await verifySender(fresh, { ...MX, resolver });
    expect(other.alignedSignatures).toHaveLength(1);
    expect(other.alignedSignatures).not.toEqual(verdict.alignedSignatures);
  });

  it('are only those aligned with From: a mail provider signing beside the sender does not count', async () => {
    const ownSigned = await dkimSignMessage(message(), 'demo-isp.example');
    const both = await dkimSignMessage(ownSigned, 'esp.example');
    const verdict = await verifySender(both, { ...MX, resolver });
    expect(verdict.dkim.domains).toEqual(['esp.example', 'demo-isp.example']);
    const own = await verifySender(ownSigned, { ...MX, resolver });
    expect(own.alignedSignatures).toHaveLength(1);
    expect(verdict.alignedSignatures).toEqual(own.alignedSignatures);
  });

  it('are absent when no signature vouches for the sender (SPF alone, or nothing)', async () => {
    const bySpf = await verifySender(message(), { ...MX, envelopeFrom: 'noc@demo-isp.example', resolver });
    expect(bySpf.alignedBy).toBe('spf');
    expect(bySpf.alignedSignatures).toBeUndefined();
    const byOthers = await verifySender(await dkimSignMessage(message(), 'esp.example'), { ...MX, resolver });
    expect(byOthers.aligned).toBe(false);
    expect(byOthers.alignedSignatures).toBeUndefined();
  });

  it('a signature is its domain and its bytes: not how b= is folded, nor the domain letter case', () => {
    const b = 'dGhlIHNpZ25hdHVyZSBieXRlcw==';
    const id = signatureIdentity('demo-isp.example', b);
    expect(signatureIdentity('Demo-ISP.example', `${b.slice(0, 10)}\r\n\t ${b.slice(10)}`)).toBe(id);
    expect(signatureIdentity('other-isp.example', b)).not.toBe(id);
    expect(signatureIdentity('demo-isp.example', 'b3RoZXIgYnl0ZXM=')).not.toBe(id);
  });
});
