import { describe, expect, it } from 'vitest';
import { DASHED_PHRASES, LINE_PHRASES } from './forward-words.ts';
import { splitInlineForward, textWithInlineForwards } from './inline-forward.ts';

const TEMPLATE = 'Template: ARIN-POC-5.1\n01. Registration Action (N, M or R): N\nEND OF TEMPLATE';
const OWN = 'Please register the contact below.\n\nDemo ISP NOC';

/** Each client's way of writing another message into the text, and the line it starts under. */
const SEPARATORS: ReadonlyArray<readonly [client: string, between: string, separator: string]> = [
  [
    'Outlook',
    '-----Original Message-----\nFrom: Acme IT <it@acme.example>\nSent: Monday, December 7, 2026 4:05 PM\nTo: noc@demo-isp.example\nSubject: our new contact\n\n',
    '-----Original Message-----',
  ],
  [
    'Outlook Express',
    '----- Original Message -----\nFrom: "Acme IT" <it@acme.example>\n\n',
    '----- Original Message -----',
  ],
  [
    'Outlook 2010 and later',
    '________________________________\nFrom: Acme IT <it@acme.example>\nSent: Monday, December 7, 2026 4:05 PM\nTo: noc@demo-isp.example\nSubject: our new contact\n\n',
    '________________________________',
  ],
  [
    "Outlook's header block alone",
    'From: Acme IT <it@acme.example>\nSent: Monday, December 7, 2026 4:05 PM\nTo: noc@demo-isp.example\nSubject: our new contact\n\n',
    'From: Acme IT <it@acme.example>',
  ],
  [
    'Outlook in German',
    'Von: Acme IT <it@acme.example>\nGesendet: Montag, 7. Dezember 2026 16:05\nAn: noc@demo-isp.example\nBetreff: our new contact\n\n',
    'Von: Acme IT <it@acme.example>',
  ],
  [
    'Outlook in Spanish',
    'De: Acme IT <it@acme.example>\nEnviado el: lunes, 7 de diciembre de 2026 16:05\nPara: noc@demo-isp.example\nAsunto: our new contact\n\n',
    'De: Acme IT <it@acme.example>',
  ],
  [
    'Gmail',
    '---------- Forwarded message ---------\nFrom: Acme IT <it@acme.example>\nDate: Mon, Dec 7, 2026 at 4:05 PM\nSubject: our new contact\nTo: <noc@demo-isp.example>\n\n\n',
    '---------- Forwarded message ---------',
  ],
  [
    'Thunderbird',
    '-------- Forwarded Message --------\nSubject: \tour new contact\nDate: \tMon, 7 Dec 2026 16:05:00 -0500\nFrom: \tAcme IT <it@acme.example>\nTo: \tnoc@demo-isp.example\n\n',
    '-------- Forwarded Message --------',
  ],
  [
    'Lotus Notes',
    '----- Forwarded by Acme IT/Acme on 12/07/2026 04:05 PM -----\n\n',
    '----- Forwarded by Acme IT/Acme on 12/07/2026 04:05 PM -----',
  ],
  [
    'Apple Mail',
    'Begin forwarded message:\n\nFrom: Acme IT <it@acme.example>\nSubject: our new contact\nDate: 7 December 2026 at 16:05:00 GMT-5\nTo: noc@demo-isp.example\n\n',
    'Begin forwarded message:',
  ],
  [
    'a reply quoted without ">"',
    'On Mon, 7 Dec 2026 at 16:05, Acme IT <it@acme.example> wrote:\n\n',
    'On Mon, 7 Dec 2026 at 16:05, Acme IT <it@acme.example> wrote:',
  ],
  [
    "Gmail's attribution wrapped over two lines",
    'On Mon, Dec 7, 2026 at 4:05 PM Acme Widgets IT <\nit@acme.example> wrote:\n\n',
    'On Mon, Dec 7, 2026 at 4:05 PM Acme Widgets IT < it@acme.example> wrote:',
  ],
  [
    'Thunderbird in German',
    'Am 07.12.26 um 16:05 schrieb Acme IT:\n',
    'Am 07.12.26 um 16:05 schrieb Acme IT:',
  ],
  [
    'a French client',
    'Le 7 déc. 2026 à 16:05, Acme IT <it@acme.example> a écrit :\n',
    'Le 7 déc. 2026 à 16:05, Acme IT <it@acme.example> a écrit :',
  ],
  ['a zero-width space before the line', '\u200B-----Original Message-----\n', '-----Original Message-----'],
];

/** Splitting a text of 16,000 units of `text(n)` takes less than 4x sixteen times a text of 1,000 (best of two). */
function expectLinearSplit(text: (n: number) => string): void {
  const time = (n: number) => {
    const input = text(n);
    const started = process.hrtime.bigint();
    splitInlineForward(input);
    return Number(process.hrtime.bigint() - started);
  };
  time(200);
  const small = Math.min(time(1_000), time(1_000));
  const large = Math.min(time(16_000), time(16_000));
  expect(large / small).toBeLessThan(16 * 4);
}

describe('forwards and unmarked quotes written into the text', () => {
  it.each(SEPARATORS)('%s: what follows the line is not the sender own', (_client, between, separator) => {
    const split = splitInlineForward(`${OWN}\n\n${between}${TEMPLATE}\n`);
    expect(split.own).toBe(OWN);
    expect(split.forward?.separator).toBe(separator);
    expect(split.forward?.text).toContain(TEMPLATE);
  });

  it('names the forwarded header block From address and Subject', () => {
    const [, between] = SEPARATORS[0]!;
    expect(splitInlineForward(`${OWN}\n\n${between}${TEMPLATE}`).forward).toMatchObject({
      from: 'it@acme.example',
      subject: 'our new contact',
      line: 5,
    });
  });

  it('leaves an ordinary quote (">" lines after "On ... wrote:") and the answers written between them the sender own', () => {
    const text = `Corrected:\n\nOn Mon, 7 Dec 2026, hostmaster wrote:\n> Error: E_MISSING_FIELD field 04\n> 1 | Template: ARIN-POC-5.1\n\n${TEMPLATE}`;
    expect(splitInlineForward(text)).toEqual({ own: text });
  });

  it('leaves prose that only looks like a part of a header alone', () => {
    for (const text of [
      `From: our NOC\n\n${TEMPLATE}`,
      `To: hostmaster\nSubject: a new contact\n\n${TEMPLATE}`,
      // A billing system's letterhead above its templates names no date: it is no quoted header.
      `From: Demo ISP billing <billing@demo-isp.example>\nTo: hostmaster@registry.example\nSubject: SWIP\n\n${TEMPLATE}`,
      `On Monday we wrote to you about this.\n\n${TEMPLATE}`,
      `---\n${TEMPLATE}`,
      `____\n${TEMPLATE}`,
      `${TEMPLATE}\n\nOn Mon, 7 Dec 2026, X wrote:`,
    ])
      expect(splitInlineForward(text)).toEqual({ own: text });
  });

  it('a separator inside a ">" quote quotes on: the quote is skipped where it stands', () => {
    const text = `Thanks\n\n> -----Original Message-----\n> From: a@b.example\n\n${TEMPLATE}`;
    expect(splitInlineForward(text)).toEqual({ own: text });
  });

  it('puts the forwards back under their lines for what is looked for in quotes too', () => {
    const text = textWithInlineForwards({
      text: 'CORRECT',
      forwarded: [
        { subject: '', text: 'Validation-Token: X', separator: '-----Original Message-----' },
        { subject: 'attached', text: 'not this one' },
      ],
    });
    expect(text).toBe('CORRECT\n\n-----Original Message-----\nValidation-Token: X');
  });

  it('reads a long text of separator look-alikes in time that grows with it, not faster', () => {
    const line = 'On a day, '.repeat(30);
    expectLinearSplit((n) => `${`${line}\n\n`.repeat(n)}____________\n\n`.repeat(2));
  });
});

describe('a separator-shaped line inside one of the sender templates', () => {
  const template = (name: string, comment: string) =>
    `Template: ARIN-REASSIGN-SIMPLE-5.3\n02. Network Name: ${name}\n12. Public Comments: ${comment}\nEND OF TEMPLATE`;

  it('is a value continued, not a quote: the templates after it stay the sender own', () => {
    const text = [
      template('T1', ''),
      template('T2', 'Customer history:\nOn 2026-12-01, the customer wrote:\nplease keep our old name'),
      template('T3', ''),
    ].join('\n\n');
    expect(splitInlineForward(text)).toEqual({ own: text });
  });

  it('so is a header block or a dashed line written into a value', () => {
    for (const inside of [
      'From: Acme IT <it@acme.example>\nSent: Monday, December 7, 2026\nTo: noc@demo-isp.example',
      '-----Original Message-----\nas our customer asked',
    ]) {
      const text = template('T1', `see below\n${inside}`);
      expect(splitInlineForward(text)).toEqual({ own: text });
    }
  });

  it('a forward below an unfinished template, holding a template of its own, is still a forward', () => {
    const text = `Template: ARIN-POC-5.1\n01. Registration Action (N, M or R): N\n\n-----Original Message-----\nFrom: Acme IT <it@acme.example>\nSent: Monday\nTo: noc@demo-isp.example\n\n${TEMPLATE}`;
    const split = splitInlineForward(text);
    expect(split.forward?.separator).toBe('-----Original Message-----');
    expect(split.own).toBe('Template: ARIN-POC-5.1\n01. Registration Action (N, M or R): N');
  });

  it('a forward after a finished template is a forward', () => {
    const text = `${TEMPLATE}\n\nOn Mon, 7 Dec 2026, Acme IT <it@acme.example> wrote:\n${TEMPLATE}`;
    expect(splitInlineForward(text).forward?.line).toBe(5);
  });

  it('reads many separator look-alikes inside one template in time that grows with the text, not faster', () => {
    expectLinearSplit(
      (n) => `Template: ARIN-POC-5.1\n${'On a day, X wrote:\nsomething\n'.repeat(n)}END OF TEMPLATE`,
    );
  });
});

/** A header block as a mail program writes it under its banner (any language: the banner decides). */
const HEADER =
  'From: Acme IT <it@acme.example>\nSent: Monday, December 7, 2026 4:05 PM\nSubject: our new contact\n\n';

describe('forward and quote lines in the languages mail programs ship in', () => {
  const dashed = Object.entries(DASHED_PHRASES).flatMap(([lang, phrases]) =>
    phrases.map((phrase) => [lang, phrase] as const),
  );
  it.each(dashed)(
    '%s: -----%s----- (Outlook) and ---------- %s --------- (Gmail, Thunderbird)',
    (_lang, phrase) => {
      // Written as the program writes it: capitalised as in its locale, or not at all.
      const shown = phrase.charAt(0).toUpperCase() + phrase.slice(1);
      for (const line of [
        `-----${shown}-----`,
        `---------- ${shown} ---------`,
        `-------- ${phrase} --------`,
      ]) {
        const split = splitInlineForward(`${OWN}\n\n${line}\n${HEADER}${TEMPLATE}\n`);
        expect(split.own).toBe(OWN);
        expect(split.forward?.separator).toBe(line);
        // Without the header block too: the words alone say it.
        expect(splitInlineForward(`${OWN}\n\n${line}\n\n${TEMPLATE}\n`).own).toBe(OWN);
      }
    },
  );

  const lines = Object.entries(LINE_PHRASES).flatMap(([lang, phrases]) =>
    phrases.map((p) => [lang, p] as const),
  );
  it.each(lines)('%s: "%s:" (Apple Mail and others) on a line of its own', (_lang, phrase) => {
    const shown = phrase.charAt(0).toUpperCase() + phrase.slice(1);
    for (const line of [`${shown}:`, `${phrase}`]) {
      const split = splitInlineForward(`${OWN}\n\n${line}\n\n${HEADER}${TEMPLATE}\n`);
      expect(split.own).toBe(OWN);
      expect(split.forward?.separator).toBe(line);
    }
  });

  it.each([
    [
      'Outlook in Polish',
      '-----Oryginalna wiadomość-----\nOd: Cust <c@cust.example>\nWysłano: poniedziałek, 7 grudnia 2026 10:00\nDo: noc@demo-isp.example\nTemat: poc\n',
      'c@cust.example',
      'poc',
    ],
    [
      'Outlook in Swedish',
      '-----Ursprungligt meddelande-----\nFrån: Cust <c@cust.example>\nSkickat: den 7 december 2026 10:00\nTill: noc@demo-isp.example\nÄmne: poc\n',
      'c@cust.example',
      'poc',
    ],
    [
      'Thunderbird in Japanese',
      '-------- 転送メッセージ --------\n件名: \tpoc\n日付: \tMon, 7 Dec 2026\n差出人: \tc@cust.example\n',
      'c@cust.example',
      'poc',
    ],
    [
      'Gmail in Russian',
      '---------- Пересылаемое сообщение ---------\nОт: Cust <c@cust.example>\n',
      'c@cust.example',
      undefined,
    ],
    [
      'a plain "Forwarded message:" line',
      'Forwarded message:\nFrom: c@cust.example\nSubject: poc\n',
      'c@cust.example',
      'poc',
    ],
    // Structure, in words no table holds: a dashed banner over a header naming an address...
    [
      'a banner in an unlisted language',
      '------ Ujumbe uliotumwa ------\nKutoka: Cust <c@cust.example>\n',
      'c@cust.example',
      undefined,
    ],
    // ...a line ending in a colon over two header lines, one an address...
    [
      'a colon line in an unlisted language',
      'Ujumbe uliotumwa:\nKutoka: c@cust.example\nKichwa: poc\n',
      'c@cust.example',
      undefined,
    ],
    // ...and a header block alone whose values hold an address and a date, in any script.
    [
      'an Outlook header block in Korean',
      '보낸 사람: Cust <c@cust.example>\n보낸 날짜: 2026년 12월 7일 월요일 오후 4:05\n받는 사람: noc@demo-isp.example\n제목: poc\n',
      'c@cust.example',
      'poc',
    ],
    [
      'a header block in Greek, labels unlisted',
      'Αποστολέας: Cust <c@cust.example>\nΣτάλθηκε στις: Δευτέρα, 7 Δεκεμβρίου 2026 4:05 μμ\n',
      'c@cust.example',
      undefined,
    ],
  ])('%s: what follows is not the sender own', (_what, between, from, subject) => {
    const split = splitInlineForward(`FYI, please process.\n\n${between}\n${TEMPLATE}\n`);
    expect(split.own).toBe('FYI, please process.');
    expect(split.forward?.text).toContain(TEMPLATE);
    expect(split.forward?.from).toBe(from);
    expect(split.forward?.subject).toBe(subject);
  });

  it('leaves the sender own banners and lists alone: no header block naming an address under them', () => {
    for (const text of [
      `---- Template 1 ----\n${TEMPLATE}`,
      `-- our new contact --\n\n${TEMPLATE}`,
      `Please register:\nName: Jane Operator\nPhone: +1-703-555-0100\n\n${TEMPLATE}`,
      `Contact: Jane <jane@demo-isp.example>\n\n${TEMPLATE}`,
      `Contact: Jane <jane@demo-isp.example>\nPhone: +1-703-555-0100\n\n${TEMPLATE}`,
    ])
      expect(splitInlineForward(text)).toEqual({ own: text });
  });
});
