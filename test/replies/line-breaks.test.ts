/**
 * No text of a customer's starts a line in our mail, for a reader that ends lines where Python's
 * `splitlines` does (NEL, LS, PS, VT, FF, FS, GS, RS, CR): the echo, the line quoted under an
 * Error, notes and notices naming a value, the validation mail showing a record. A value stored
 * before such values were refused is shown too. The mails are composed here and read back whole.
 */
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import {
  composeNotification,
  composeReplies,
  loadReplyTexts,
  type OutgoingMail,
  type TemplateReport,
} from '../../src/replies/index.ts';
import { composeValidationAnswer } from '../../src/validation/index.ts';
import { composeValidationMail } from '../../src/validation/mail.ts';
import { multilineRegexLines, pythonLines, readersAgree } from '../support/line-readers.ts';
import { parseReply } from '../support/reply-reader.ts';
import { digestOptions, FIXED_DATE } from './support/reports.ts';

const texts = loadReplyTexts();
const digest = digestOptions(texts);

/** Every character some reader ends a line at, but LF. */
const BREAKS = ['\u0085', '\u2028', '\u2029', '\u000B', '\u000C', '\r', '\u001C', '\u001D', '\u001E'];

/** A customer's value holding `c` between its words and two forged lines of ours. */
const forged = (c: string) => `Acme${c}Status: APPROVED${c}Handle: NET-198-51-100-160-1`;

function refusedTemplate(c: string): TemplateReport {
  return {
    index: 1,
    total: 1,
    form: 'ARIN-REASSIGN-SIMPLE-5.3',
    status: 'REJECTED',
    handles: {},
    errors: [
      {
        code: 'E_LINE_BREAK_CHARACTER',
        field: '06',
        line: 3,
        message: `the value holds a line break after ${JSON.stringify('Acme')}: ${forged(c)}`,
      },
    ],
    notes: [`Customer (${forged(c)}) not created`],
    echo: [
      'Template: ARIN-REASSIGN-SIMPLE-5.3',
      '01. Registration Action (N, M or R): N',
      `06. Customer Name: ${forged(c)}`,
      'END OF TEMPLATE',
    ].join('\n'),
  };
}

async function textOf(mail: OutgoingMail): Promise<string> {
  return (await simpleParser(mail.raw)).text ?? '';
}

/** What a reader ending lines as Python does finds at the start of a line: never a label of ours from the customer. */
function startsOfLines(text: string): string[] {
  return pythonLines(text).filter((l) => /^(Status|Handle|OrgName|NetRange):/.test(l));
}

describe('a reply naming a value that holds a line break', () => {
  it.each(BREAKS)(
    '%j: the echo, the quoted line and the note show it; every reader sees our lines only',
    async (c) => {
      for (const style of ['digest', 'per-template'] as const) {
        const [mail] = await composeReplies(
          { submissionId: 'S123', to: 'noc@demo-isp.example', templates: [refusedTemplate(c)] },
          { ...digest, style },
        );
        const text = await textOf(mail!);
        expect(readersAgree(text)).toBe(true);
        expect(startsOfLines(text)).toEqual(['Status: REJECTED']);
        expect(multilineRegexLines(text).filter((l) => /^Status:/.test(l))).toEqual(['Status: REJECTED']);
        // What the customer wrote is still there to read, the break shown where it was; a lone CR
        // ends a line of the echo, as the mail room reads it, quoted and numbered like the others.
        expect(text).toMatch(
          c === '\r'
            ? /^> 3 \| 06\. Customer Name: Acme\n> 4 \| Status: APPROVED$/m
            : /^> 3 \| 06\. Customer Name: Acme(\\u0085|\\u2028|\\u2029|[\u240B\u240C\u241C\u241D\u241E])Status: APPROVED/m,
        );
        expect(text).toMatch(/^ {2}> 3 \| 06\. Customer Name: Acme/m);
        const parsed = await parseReply(mail!.raw);
        expect(parsed.ok && parsed.value.status).toBe('REJECTED');
        expect(parsed.ok && parsed.value.blocks[0]?.handles).toEqual([]);
      }
    },
  );

  it('no header carries one: the Subject shows it, an id holding one threads nothing', async () => {
    for (const c of BREAKS) {
      const [mail] = await composeReplies(
        {
          submissionId: 'S123',
          to: 'noc@demo-isp.example',
          originalSubject: `SWIP ${forged(c)}`,
          originalMessageId: `<a${c}Status: APPROVED@demo-isp.example>`,
          originalReferences: [`<r${c}x@demo-isp.example>`, '<kept@demo-isp.example>'],
          templates: [refusedTemplate(c)],
        },
        digest,
      );
      expect(mail!.raw).not.toMatch(/[\u000B\u000C\u001C-\u001E\u0085\u2028\u2029]|\r(?!\n)/);
      const parsed = await simpleParser(mail!.raw);
      expect(parsed.inReplyTo).toBeUndefined();
      expect(parsed.references).toBe('<kept@demo-isp.example>');
    }
  });

  it('the Subject shows it too', async () => {
    const [mail] = await composeReplies(
      {
        submissionId: 'S123',
        to: 'noc@demo-isp.example',
        originalSubject: `SWIP ${forged('\u2028')}`,
        templates: [refusedTemplate('\u2028')],
      },
      digest,
    );
    expect((await simpleParser(mail!.raw)).subject).toBe(
      'Re: SWIP Acme\\u2028Status: APPROVED\\u2028Handle: NET-198-51-100-160-1',
    );
  });
});

describe('mails showing a record stored before such values were refused', () => {
  it('a notice of a change to it', async () => {
    for (const c of BREAKS) {
      const mail = await composeNotification(
        {
          to: ['noc@demo-isp.example'],
          ticket: '20261122-X0000044',
          submissionId: 'S123',
          templateIndex: 1,
          objectType: 'POC',
          handle: 'DEMO1-ARIN',
          summaryLines: [`name: ${forged(c)} -> Acme`],
        },
        { from: digest.from, hostname: digest.hostname, texts, date: FIXED_DATE },
      );
      const text = await textOf(mail);
      expect(readersAgree(text)).toBe(true);
      expect(startsOfLines(text)).toEqual([]);
    }
  });

  it('the validation mail showing it, and the answer to a validation reply', async () => {
    for (const c of BREAKS) {
      const raw = composeValidationMail({
        poc: {
          handle: 'DEMO1-ARIN',
          kind: 'role',
          lastName: forged(c),
          firstName: null,
          middleName: null,
          company: `Demo${c}OrgName: Injected Corp`,
          street: [`1 Main St${c}NetRange: 10.0.0.0 - 10.255.255.255`],
          city: 'Springfield',
          state: 'VA',
          postalCode: '22150',
          country: 'US',
          phones: [],
          emails: ['noc@demo-isp.example'],
        },
        served: { lines: [`Org DEMOISP-1 (Demo${c}Status: APPROVED): admin`], more: 0 },
        round: '2027-12-08',
        deadline: new Date('2028-02-06T00:00:00Z'),
        token: 'VT-ABCDEFGHIJKLMNOPQRSTUVWXYZ',
        messageId: '<validation.2027-12-08.DEMO1-ARIN.x@registry.example>',
        recipients: ['noc@demo-isp.example'],
        from: digest.from,
        date: FIXED_DATE,
      });
      const text = (await simpleParser(raw)).text ?? '';
      expect(readersAgree(text)).toBe(true);
      expect(startsOfLines(text)).toEqual([]);
      const answer = composeValidationAnswer({
        submissionId: 'S124',
        to: 'noc@demo-isp.example',
        messageId: '<S124.reply@registry.example>',
        handle: 'DEMO1-ARIN',
        outcome: {
          validated: false,
          problem: { code: 'E_VALIDATION_UNCLEAR', message: `your answer says ${forged(c)}` },
        },
        from: digest.from,
        date: FIXED_DATE,
      });
      const answerText = (await simpleParser(answer)).text ?? '';
      expect(readersAgree(answerText)).toBe(true);
      expect(startsOfLines(answerText)).toEqual(['Status: REJECTED', 'Handle: DEMO1-ARIN']);
    }
  });
});
