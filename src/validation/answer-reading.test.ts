/**
 * Answers to the validation mail as people and their mail servers write them, read both ways:
 * the reviewer's (an explicit CORRECT followed by a corporate disclaimer, under Outlook's rule,
 * "Nothing has changed"), and a corpus of real-looking answers that say the record is correct and
 * of ones that do not (or not clearly: staff read those).
 */
import { describe, expect, it } from 'vitest';
import { affirms, ownLines } from './answer-reading.ts';

const TOKEN = '> Validation-Token: VT-ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const QUOTE = [
  'On Tue, Dec 8, 2027 at 03:00, hostmaster@registry.example wrote:',
  '> Annual POC validation (NRPM 3.6): POC DEMO1-ARIN',
  '> - if everything above is correct, reply to this mail and write CORRECT',
  '> Unanswered by then, the POC is marked invalid',
  TOKEN,
].join('\n');

const DISCLAIMER =
  'This e-mail and any attachments are confidential. If you are not the intended recipient, please notify the sender and do not copy or forward it.';

/** The reviewer's answers (findings/7), refused E_VALIDATION_UNCLEAR before. */
const REVIEWED: readonly (readonly [string, string])[] = [
  ['nothing changed', `Yes, this is still correct. Nothing has changed.\n\n${TOKEN}\n`],
  ['disclaimer', `CORRECT\n\nJohn Smith\nDemo ISP NOC\n\n${DISCLAIMER}\n\n${TOKEN}\n`],
  [
    'disclaimer after a closing',
    `CORRECT\n\nRegards,\nAnn\n\nCONFIDENTIALITY NOTICE: This message is intended only for the addressee. If you are not the intended recipient, you must not use, copy or disclose it.\n\n${TOKEN}\n`,
  ],
  [
    'disclaimer after dashes',
    `CORRECT\n\n-- \nAnn\nIf you are not the intended recipient, delete this message.\n\n${TOKEN}\n`,
  ],
  [
    "Outlook's rule",
    `CORRECT\n\n________________________________\nThis email is confidential. If you are not the intended recipient please delete it.\n\n${TOKEN}\n`,
  ],
];

const SAYS_CORRECT: readonly (readonly [string, string])[] = [
  ...REVIEWED,
  ['alone', 'CORRECT'],
  ['with a thank-you', 'Correct, thank you!'],
  ['from a phone', 'CORRECT\n\nSent from my iPhone'],
  ['under the quote', `${QUOTE}\n\nCORRECT\n`],
  [
    'an external-sender banner on top',
    `[EXTERNAL] CAUTION: This email originated from outside of the organization. Do not click links or open attachments unless you recognize the sender.\n\nCORRECT\n\n${QUOTE}`,
  ],
  [
    'a long footer of several paragraphs',
    `CORRECT\n\nBest regards,\nMaria Rossi | Network Engineer\nDemo ISP S.p.A. | +39 02 1234 5678\n\nDISCLAIMER: The information in this message is confidential and may be legally privileged. It is intended solely for the addressee.\n\nIf you have received this message in error, please notify us and delete it. Any unauthorised use is prohibited.\n\nPlease consider the environment before printing this e-mail.`,
  ],
  ['a signature without a closing, a name and a title', 'Correct.\n\nJohn Smith\nNOC Manager, Demo ISP'],
  ['no changes needed', 'Confirmed, no changes needed.'],
  ['has not changed', 'The record is correct, it has not changed since last year.'],
  ['a polite line', 'Yes.\nPlease do not hesitate to contact me if you need more.'],
  [
    'Outlook quoting our mail without >',
    `CORRECT\n\nFrom: hostmaster@registry.example\nSent: Tuesday\nSubject: Annual validation\n\nnot correct`,
  ],
  ['everything still accurate', 'Hi,\n\nEverything is still accurate.\n\nThanks,\nPriya'],
  ['a greeting first', 'Hello,\n\nCORRECT\n\nKind regards\nTom'],
  ['I confirm', 'I confirm the record is correct.'],
  ['we confirm all details', 'We confirm that all details are correct.'],
  ['looks good', 'Looks good, thanks'],
  ['still correct', 'Still correct.'],
  ['yes, nothing changed, thanks', 'Yes, nothing has changed. Thanks!'],
  ['confirmed and still accurate', 'Confirmed and still accurate'],
  [
    'a yes on a line of its own, then the record is correct',
    'Hi team,\n\nYes\nThe record is correct.\n\nBest,\nJo',
  ],
  ['a disclaimer right under CORRECT, no blank line', `CORRECT\n${DISCLAIMER}`],
  ['the same under a name', `Correct.\nJohn Smith, Demo ISP NOC\n${DISCLAIMER}`],
];

/**
 * Said beside a yes, in wordings no list of change phrasings holds (trust25 F1, faults25 F5): a
 * question, a change, a complaint, a record line. Read conservatively, each goes to staff.
 */
const MORE_THAN_A_YES: readonly (readonly [string, string])[] = [
  ['a question', 'Correct?'],
  ['a question and a complaint', 'Correct? Who are you and why do you have our data?'],
  ['CORRECT? and not the right person', 'CORRECT?\nI am not the right person for this.'],
  ['yes, a question', 'Yes. Is the fax on file too?'],
  ['confirmed? alone', 'confirmed?'],
  ['a change with "is now"', 'CORRECT\n\nOur phone number is now +1 555 0111, the old one is disconnected.'],
  ['a complaint', 'CORRECT\nWho are you? I never registered anything with you.'],
  ['ok and a phone', 'ok\nthe phone is 555-0111 now'],
  ['all correct bar', 'All correct bar the zip code'],
  ['save for', 'yes it is correct save for the zip'],
  ['deceased', 'CORRECT\nThis person is deceased.'],
  ['unsubscribe', 'CORRECT\nUnsubscribe'],
  ['a phone line', 'CORRECT\nPhone: +1-555-0111'],
  ['an e-mail line', 'CORRECT\n\nJohn Smith\nEmail: john@new-isp.example'],
  [
    'a phone in a signature without closing',
    'Correct.\n\nJohn Smith\nNOC Manager, Demo ISP\nPhone: +1-703-555-0100',
  ],
  ['a not beside CORRECT', 'CORRECT\nI am not in the office on Fridays, call the NOC line.'],
  ['remove me', 'Confirmed.\nPlease remove me and write to jane@demo-isp.example'],
  ['a name that says something', 'CORRECT\nJane Doe left'],
  ['the address changed in another language', 'CORRECT\nNeue Adresse: Hauptstr. 2'],
  ['correct for now', 'correct for now'],
  ['mostly correct', 'Mostly correct'],
  ['a URL', 'CORRECT\nhttp://spam.example/offer'],
];

const DOES_NOT: readonly (readonly [string, string])[] = [
  ...MORE_THAN_A_YES,
  ['the record is wrong', 'The phone number is wrong.'],
  ['not correct', 'not correct'],
  ['CORRECT and a change', 'CORRECT\nbut the address changed last month'],
  ['CORRECT except', 'CORRECT except the phone number'],
  ['CORRECT with a new address', 'CORRECT\n\nNew address: 2 Elm St, Springfield'],
  ['CORRECT and an address written out', 'CORRECT\nStreet: 2 Elm St'],
  ['CORRECT and please update', 'CORRECT, please update the fax to +1-703-555-0199'],
  ['CORRECT, the contact has left', 'CORRECT\nJohn no longer works here.'],
  ['CORRECT, not ours', 'CORRECT\n\nThe e-mail address is not ours any more.'],
  ['yes but', 'Yes, but the address changed'],
  ['nothing changed except', 'Nothing has changed except the phone number.'],
  ['unclear', 'Please call me.'],
  ['a postscript after the signature', 'CORRECT\n\nThanks!\nAnn\nDemo ISP\n\nPS: the fax number changed.'],
  ['P.S. after the signature', 'CORRECT\n\nRegards,\nAnn\n\nP.S. we moved to 2 Elm St.'],
  ['a notice of a change', 'Notice: our address changed, please print the new one.\n\nCORRECT otherwise'],
  [
    'a change asked for far down',
    `CORRECT\n${'We are glad to help.\n'.repeat(30)}But the fax number is wrong.`,
  ],
  ['all good but', 'All good except the fax, which we gave up.'],
  ['looks good, moved', 'Looks good, though we moved to 2 Elm St.'],
  ['I cannot confirm', 'I cannot confirm this, I am new here.'],
  ['unsure', "Yes, I think so, I'm not sure about the fax."],
  ['empty', ''],
  ['only our quoted words', '> CORRECT\n> yes'],
  ['a disclaimer alone', `${DISCLAIMER}\n\n${TOKEN}`],
  ['below a signature', 'Signature below\n-- \nOK'],
  ['CORRECT in the footer only', `Please call me.\n\n${DISCLAIMER} CORRECT`],
  ['our mail pasted back', 'Annual POC validation (NRPM 3.6): POC DEMO1-ARIN\n\nCORRECT'],
];

describe('affirms', () => {
  it.each(SAYS_CORRECT)('reads an answer that says the record is correct (%s)', (_, text) => {
    expect(affirms(text)).toBe(true);
  });

  it.each(DOES_NOT)('does not read it so (%s)', (_, text) => {
    expect(affirms(text)).toBe(false);
  });
});

describe('ownLines', () => {
  it('drops quotes, the closing and signature after it, rules, phone signatures and footers; skips a banner on top', () => {
    expect(
      ownLines(
        `WARNING: External email. Do not click links unless you recognize the sender.\n\nHi,\n\nCORRECT\n\nRegards,\nAnn\n+1 703 555 0100\n\n${DISCLAIMER}\n${QUOTE}`,
      ),
    ).toEqual(['Hi,', 'CORRECT']);
    expect(ownLines(`CORRECT\n\nJohn\n\n${DISCLAIMER}\n\nMore words after the footer`)).toEqual([
      'CORRECT',
      'John',
    ]);
    expect(ownLines('CORRECT\n\n__________\nfooter')).toEqual(['CORRECT']);
    expect(ownLines('CORRECT\nSent from my Galaxy\nnot correct')).toEqual(['CORRECT']);
  });
});

describe('a long answer', () => {
  /** The fastest of three runs, in ms. */
  const timed = (text: string) =>
    Math.min(
      ...[0, 1, 2].map(() => {
        const start = performance.now();
        affirms(text);
        return performance.now() - start;
      }),
    );

  it('is read no further than its top: a hundred times the blank lines or quoted lines costs not a hundred times the time', () => {
    for (const shape of ['\n', '> quoted\n', 'a line of words\n']) {
      const small = `CORRECT\n${shape.repeat(5_000)}`;
      const large = `CORRECT\n${shape.repeat(500_000)}`;
      expect(affirms(large)).toBe(affirms(small));
      expect(timed(large)).toBeLessThan(timed(small) * 30 + 5);
    }
  });

  it('stops at a forwarded message', () => {
    expect(affirms('FYI\n\nBegin forwarded message:\n\nCORRECT')).toBe(false);
  });
});
