import { describe, expect, it } from 'vitest';
import { dryRunRequest } from './dry-run.ts';

const asked = (head: string) => dryRunRequest({ head, envelopeTo: [], dryRunAddresses: [] });

describe('the dry-run mark in the Subject, as a reader sees it', () => {
  const encoded = Buffer.from('DRY-RUN SWIP Müller GmbH', 'utf8').toString('base64');
  it.each([
    ['encoded whole (a mail program with one non-ASCII letter)', `Subject: =?UTF-8?B?${encoded}?=\r\n`],
    ['quoted-printable encoded', 'Subject: =?UTF-8?Q?DRY=2DRUN_SWIP?=\r\n'],
    ['in a second Subject field', 'Subject: hello\r\nSubject: DRY-RUN\r\n'],
    ['folded after its hyphen', 'Subject: DRY-\r\n RUN test\r\n'],
    ['with a non-breaking hyphen', 'Subject: DRY\u2011RUN test\r\n'],
    ['with an en dash', 'Subject: dry\u2013run\r\n'],
  ])('counts a DRY-RUN %s', (_, head) => {
    expect(asked(head)).toBe('the Subject says DRY-RUN');
  });

  it.each([
    'Subject: an ordinary SWIP\r\n',
    'Subject: laundry running late\r\n',
    'Subject: =?UTF-8?B?' + Buffer.from('Müller GmbH SWIP').toString('base64') + '?=\r\n',
  ])('asks for nothing in %j', (head) => {
    expect(asked(head)).toBeUndefined();
  });
});
