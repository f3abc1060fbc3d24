import { describe, expect, it } from 'vitest';
import { affirms } from './answer-reading.ts';
import { failedRecipients, recogniseValidationMail } from './recognise.ts';

const ID = '<validation.2027-12-08.DEMO1-ARIN.abc123@registry.example>';
const TOKEN = 'VT-ABCDEFGHIJKLMNOPQRSTUVWXYZ';

describe('affirms', () => {
  it.each([
    'CORRECT',
    'Correct, thanks.',
    'yes',
    'Confirmed.',
    'The record is correct.',
    'Everything is still accurate',
    'OK',
    '\n\nOn Tue, hostmaster wrote:\n> please confirm\n> record is correct\n\nCORRECT',
  ])('reads %j as saying the record is correct', (text) => {
    expect(affirms(text)).toBe(true);
  });

  it.each([
    'The phone number is wrong.',
    'Yes, but the address changed',
    'not correct',
    'Please call me.',
    '',
    // Only our own words, quoted: the sender said nothing.
    '> CORRECT\n> yes',
    // Outlook quotes without `>`: our mail below its header block is not the answer.
    'Thanks\n\nFrom: hostmaster@registry.example\nSent: Tuesday\ncorrect and complete',
    '-----Original Message-----\nCorrect',
    'Signature below\n-- \nOK',
  ])('does not read %j as saying so', (text) => {
    expect(affirms(text)).toBe(false);
  });
});

describe('recogniseValidationMail', () => {
  const base = { references: [], contentType: 'text/plain', text: '', raw: '' };

  it('is an answer when it names a validation mail or quotes a token, and not otherwise', () => {
    expect(recogniseValidationMail({ ...base, inReplyTo: ID, text: 'yes' })).toMatchObject({
      kind: 'answer',
      messageIds: [ID],
      tokens: [],
      affirms: true,
    });
    expect(
      recogniseValidationMail({ ...base, text: `ok\n> Validation-Token: ${TOKEN.toLowerCase()}` }),
    ).toMatchObject({
      kind: 'answer',
      tokens: [TOKEN],
    });
    expect(
      recogniseValidationMail({ ...base, inReplyTo: '<S123.reply@registry.example>', text: 'yes' }),
    ).toBeUndefined();
  });

  it('an auto-reply quoting the mail is no answer', () => {
    expect(
      recogniseValidationMail({ ...base, inReplyTo: ID, text: 'I am away. OK', automatic: true }),
    ).toBeUndefined();
  });

  it('a delivery report for a validation mail names the addresses that failed for good', () => {
    const raw = [
      'Content-Type: multipart/report; report-type=delivery-status; boundary="b"',
      '',
      'Final-Recipient: rfc822; Gone@Demo-ISP.example',
      'Action: failed',
      'Status: 5.1.1',
      '',
      'Final-Recipient: rfc822; later@demo-isp.example',
      'Action: delayed',
      'Status: 4.4.1',
      '',
      `Message-ID: ${ID}`,
    ].join('\r\n');
    expect(recogniseValidationMail({ ...base, contentType: 'multipart/report', raw })).toEqual({
      kind: 'bounce',
      messageIds: [ID],
      failed: ['gone@demo-isp.example'],
    });
    expect(failedRecipients(raw)).toEqual(['gone@demo-isp.example']);
    // A report about other mail is not ours to read.
    expect(
      recogniseValidationMail({ ...base, contentType: 'multipart/report', raw: raw.replace(ID, '<x@y>') }),
    ).toBeUndefined();
  });
});
