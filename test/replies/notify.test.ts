/** The short notice the contacts of a record get when a change touches it. */
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { composeNotification, loadReplyTexts } from '../../src/replies/index.ts';
import { FIXED_DATE, KEY } from './support/reports.ts';

const texts = loadReplyTexts();
const options = {
  from: 'hostmaster@registry.example',
  hostname: 'registry.example',
  texts,
  date: FIXED_DATE,
};
const notice = {
  to: ['noc@demo-isp.example', 'Jane <NOC@demo-isp.example>', 'tech@demo-isp.example'],
  ticket: '20261122-X0000044',
  submissionId: 'S123',
  templateIndex: 2,
  objectType: 'POC',
  handle: 'DEMO1-ARIN',
  summaryLines: ['office phone changed to +1-555-0100', `modified with key ${KEY}`],
};

describe('a notification', () => {
  it('goes once to each contact address, from the null sender, with a stable id', async () => {
    const mail = await composeNotification(notice, options);
    expect(mail).toMatchObject({
      kind: 'notification',
      envelopeFrom: '',
      messageId: '<S123.notify.2.DEMO1-ARIN@registry.example>',
      recipients: ['noc@demo-isp.example', 'tech@demo-isp.example'],
    });
    expect(await composeNotification(notice, options)).toEqual(mail);
  });

  it('names the record, the ticket and what changed, marked as automatic', async () => {
    const mail = await composeNotification(notice, options);
    const parsed = await simpleParser(mail.raw);
    expect(parsed.subject).toBe('[hostmasterd] POC DEMO1-ARIN changed (ticket 20261122-X0000044)');
    expect(parsed.headers.get('auto-submitted')).toBe('auto-generated');
    expect(parsed.headers.get('x-hostmaster-ticket')).toBe('20261122-X0000044');
    expect(parsed.text).toContain('touches the POC\nDEMO1-ARIN');
    expect(parsed.text).toContain('  office phone changed to +1-555-0100');
  });

  it('never carries an API key', async () => {
    const mail = await composeNotification(notice, options);
    expect(mail.raw.replace(/=\r\n/g, '')).not.toContain(KEY);
    expect((await simpleParser(mail.raw)).text).toContain('modified with key API-****-****-****-CDEF');
  });
});
