/**
 * A DKIM signature vouches for a request only if the To or Cc it signed names one of our
 * addresses: a signed message written to a colleague and sent to us by someone else (a bearer
 * token, as the trust review found) authorizes nothing. Real signatures, verified by verifySender.
 */
import { describe, expect, it } from 'vitest';
import { addressedToUs, type SenderVerdict, signedRecipients, verifySender } from '../../src/auth/index.ts';
import { dkimSignMessage, stubResolver } from '../support/dkim.ts';
import { message } from './mail.ts';

const OURS = ['hostmaster@localhost', 'registry@example.net'];
const resolver = stubResolver({ dkimDomains: ['demo-isp.example'] });
const MX = { remoteAddress: '192.0.2.10', heloName: 'mx.example', resolver, ourAddresses: OURS };

/** Puts header lines on top of a signed message, as someone sending it on after signing would. */
function prepend(raw: Buffer, lines: string): Buffer {
  return Buffer.concat([Buffer.from(lines), raw]);
}

/** Adds a header line at the end of the header block, below the signed ones. */
function appendHeader(raw: Buffer, line: string): Buffer {
  const text = raw.toString('binary');
  const end = text.indexOf('\r\n\r\n');
  return Buffer.from(`${text.slice(0, end)}\r\n${line}${text.slice(end)}`, 'binary');
}

/** The verdict with our addresses given, as the worker asks for it. */
function verdictOf(raw: Buffer): Promise<SenderVerdict> {
  return verifySender(raw, MX);
}

describe('signed recipients', () => {
  it('reads the addresses of the signed To and Cc lines, folded, named, grouped', () => {
    expect(
      signedRecipients([
        'From: NOC <noc@demo-isp.example>',
        'To: "Hostmaster, ARIN style" <HostMaster@LocalHost>,\r\n colleague@demo-isp.example',
        'cc: Team: a@x.example, b@x.example;',
        'Subject: to: hostmaster@localhost',
      ]),
    ).toEqual(['hostmaster@localhost', 'colleague@demo-isp.example', 'a@x.example', 'b@x.example']);
    // Our address as a display name or a comment is no recipient.
    for (const to of [
      '"hostmaster@localhost" <colleague@demo-isp.example>',
      'hostmaster@localhost <colleague@demo-isp.example>',
      'colleague@demo-isp.example (hostmaster@localhost)',
      '<colleague@demo-isp.example> hostmaster@localhost',
    ]) {
      expect(signedRecipients([`To: ${to}`]), to).toEqual(['colleague@demo-isp.example']);
    }
    expect(signedRecipients(['To: undisclosed-recipients:;', 'Resent-To: hostmaster@localhost'])).toEqual([]);
    expect(addressedToUs(['hostmaster@localhost'], ['HOSTMASTER@localhost'])).toBe(true);
    expect(addressedToUs(['colleague@demo-isp.example'], OURS)).toBe(false);
  });

  it('a signature whose signed To names us vouches; one signed for a colleague does not', async () => {
    const ours = await verdictOf(await dkimSignMessage(message(), 'demo-isp.example'));
    expect(ours).toMatchObject({ aligned: true, alignedBy: 'dkim' });
    expect(ours.signedForOthers).toBeUndefined();

    const colleague = await dkimSignMessage(
      message({ to: 'colleague@demo-isp.example' }),
      'demo-isp.example',
    );
    const refused = await verdictOf(colleague);
    expect(refused).toMatchObject({ aligned: false, signedForOthers: true, temporary: false });
    expect(refused.alignedSignatures).toBeUndefined();
    expect(refused.summary).toContain('signed To/Cc name none of our addresses');
    // Without our addresses the verdict is about the sender alone (as before this check).
    const { ourAddresses: _, ...senderOnly } = MX;
    expect(await verifySender(colleague, senderOnly)).toMatchObject({ aligned: true });
  });

  it('a To naming us added after signing does not count, above or below the signed one', async () => {
    const colleague = await dkimSignMessage(
      message({ to: 'colleague@demo-isp.example' }),
      'demo-isp.example',
    );
    // On top: the signature covers the bottom-most To, still the colleague's, and still passes.
    const above = await verdictOf(prepend(colleague, 'To: hostmaster@localhost\r\n'));
    expect(above).toMatchObject({ aligned: false, signedForOthers: true });
    // Below the signed one: that is the To the signature now reads, and it no longer passes.
    const below = await verdictOf(appendHeader(colleague, 'To: hostmaster@localhost'));
    expect(below.aligned).toBe(false);
    expect(below.dkim.result).toBe('fail');
    // A Cc added after signing, when the signature covers no Cc: not signed either.
    const cc = await verdictOf(prepend(colleague, 'Cc: hostmaster@localhost\r\n'));
    expect(cc).toMatchObject({ aligned: false, signedForOthers: true });
  });

  it('a signed Cc naming us vouches; a To naming us that the signature does not cover does not', async () => {
    const cc = await dkimSignMessage(
      message({ to: 'colleague@demo-isp.example', cc: 'Registry <Registry@Example.NET>' }),
      'demo-isp.example',
    );
    expect(await verdictOf(cc)).toMatchObject({ aligned: true, alignedBy: 'dkim' });
    const unsignedTo = await dkimSignMessage(message(), 'demo-isp.example', {
      headerList: ['from', 'subject', 'date', 'message-id'],
    });
    expect(await verdictOf(unsignedTo)).toMatchObject({ aligned: false, signedForOthers: true });
  });

  it('SPF aligned for the sender still authorizes (it is the sender’s server talking to us)', async () => {
    const colleague = await dkimSignMessage(
      message({ to: 'colleague@demo-isp.example' }),
      'demo-isp.example',
    );
    const verdict = await verifySender(colleague, {
      ...MX,
      envelopeFrom: 'noc@demo-isp.example',
      resolver: stubResolver({
        dkimDomains: ['demo-isp.example'],
        spf: { 'demo-isp.example': 'v=spf1 ip4:192.0.2.0/24 -all' },
      }),
    });
    expect(verdict).toMatchObject({ aligned: true, alignedBy: 'spf' });
    expect(verdict.signedForOthers).toBeUndefined();
    expect(verdict.alignedSignatures).toBeUndefined();
  });
});
