/**
 * One message reaching us by two paths must be recognised as one: its digest leaves out the
 * trace fields relays put on top, and nothing else.
 */
import { describe, expect, it } from 'vitest';
import { deliveryDigest, startAfterTrace } from '../../src/mail/delivery-digest.ts';

const SENT = [
  'DKIM-Signature: v=1; a=rsa-sha256; d=demo-isp.example; s=mail;',
  '\th=from:to:subject; b=abc123',
  'From: Demo ISP NOC <noc@demo-isp.example>',
  'To: hostmaster@localhost',
  'Subject: POC',
  'Message-ID: <two-paths-1@demo-isp.example>',
  '',
  'Template: ARIN-POC-5.1',
  '01. Registration Action: R',
  '02. Existing POC Handle: DEMO1-ARIN',
  'END OF TEMPLATE',
  '',
].join('\r\n');

const via = (...trace: string[]) => Buffer.from([...trace, SENT].join('\r\n'));

describe('the digest of a delivery', () => {
  it('is the same for one message relayed by two paths', () => {
    const direct = via(
      'Received: from mx1.demo-isp.example by hostmaster.example; Mon, 23 Nov 2026 10:35:00 -0500',
    );
    const backup = via(
      'Return-Path: <noc@demo-isp.example>',
      'Delivered-To: hostmaster@registry.example',
      'Received: from backup-mx.registry.example (backup-mx [192.0.2.25])',
      '\tby hostmaster.example with ESMTPS; Mon, 23 Nov 2026 11:02:10 -0500',
      'ARC-Seal: i=1; a=rsa-sha256; d=registry.example; s=arc; cv=none; b=xyz',
      'Authentication-Results: backup-mx.registry.example; dkim=pass header.d=demo-isp.example',
      'Received: from mx1.demo-isp.example by backup-mx.registry.example; Mon, 23 Nov 2026 10:35:00 -0500',
    );
    expect(deliveryDigest(backup)).toBe(deliveryDigest(direct));
    expect(deliveryDigest(direct)).toBe(deliveryDigest(Buffer.from(SENT)));
    // Header names are case-insensitive.
    expect(deliveryDigest(via('RECEIVED: from somewhere'))).toBe(deliveryDigest(direct));
  });

  it('keeps everything the sender wrote: a changed byte, or another signature, is another message', () => {
    const digest = deliveryDigest(Buffer.from(SENT));
    expect(deliveryDigest(Buffer.from(SENT.replace('DEMO1-ARIN', 'DEMO2-ARIN')))).not.toBe(digest);
    expect(deliveryDigest(Buffer.from(SENT.replace('b=abc123', 'b=abc124')))).not.toBe(digest);
  });

  it('leaves out only the leading trace fields: a Received line the sender wrote below From counts', () => {
    const below = Buffer.from(
      SENT.replace('To: hostmaster@localhost', 'Received: by mx\r\nTo: hostmaster@localhost'),
    );
    expect(deliveryDigest(below)).not.toBe(deliveryDigest(Buffer.from(SENT)));
  });

  it('copes with odd heads: no colon, no header at all, nothing but trace fields, bare LF', () => {
    expect(startAfterTrace(Buffer.from('not a header\r\n\r\nbody'))).toBe(0);
    expect(startAfterTrace(Buffer.from('\r\nbody only'))).toBe(0);
    const onlyTrace = 'Received: a\r\n b\r\nReceived: c';
    expect(startAfterTrace(Buffer.from(onlyTrace))).toBe(onlyTrace.length);
    expect(startAfterTrace(Buffer.from(''))).toBe(0);
    const lf = 'Received: from a\n\tby b\nFrom: x@y.example\n\nbody\n';
    expect(startAfterTrace(Buffer.from(lf))).toBe(lf.indexOf('From:'));
  });
});
