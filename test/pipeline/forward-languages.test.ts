/**
 * A template forwarded by a mail program writing in another language is someone else's, as an
 * English forward is: the sender's key in the Subject, "FYI, please process", the program's line
 * and header block, then a POC template. Each is refused E_FORWARDED_TEMPLATE naming the line,
 * never applied on the forwarder's key (a dry run, so the answer says what a real run does).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_API_KEY } from '../../src/registry/index.ts';
import { mail, type Stack, startStack } from '../support/stack.ts';
import { personPoc } from './support/forms.ts';
import { replyFor } from './support/outcomes.ts';

const FORWARDS: ReadonlyArray<readonly [what: string, separator: string, header: string]> = [
  [
    'Outlook in Polish',
    '-----Oryginalna wiadomość-----',
    'Od: Cust <c@cust.example>\nWysłano: poniedziałek, 7 grudnia 2026 10:00\nDo: noc@demo-isp.example\nTemat: poc\n',
  ],
  [
    'Outlook in Swedish',
    '-----Ursprungligt meddelande-----',
    'Från: Cust <c@cust.example>\nSkickat: den 7 december 2026 10:00\nTill: noc@demo-isp.example\nÄmne: poc\n',
  ],
  [
    'Thunderbird in Japanese',
    '-------- 転送メッセージ --------',
    '件名: \tpoc\n日付: \tMon, 7 Dec 2026\n差出人: \tc@cust.example\n',
  ],
  ['Gmail in Russian', '---------- Пересылаемое сообщение ---------', 'От: Cust <c@cust.example>\n'],
  [
    'Apple Mail in Italian',
    'Inizio messaggio inoltrato:',
    '\nDa: Cust <c@cust.example>\nData: 7 dicembre 2026 10:00\n',
  ],
  ['a plain "Forwarded message:" line', 'Forwarded message:', 'From: c@cust.example\nSubject: poc\n'],
  ['a banner in words no table holds', '------ Ujumbe uliotumwa ------', 'Kutoka: Cust <c@cust.example>\n'],
];

describe('forwards written by mail programs in other languages (pglite)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ backend: 'pglite' });
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
  });

  it.each(FORWARDS)(
    '%s: the forwarded template is refused E_FORWARDED_TEMPLATE, naming the line',
    async (_what, separator, header) => {
      const body = `FYI, please process.\n\n${separator}\n${header}\n${personPoc('Forwarded', 'Kim', 'kim@cust.example')}`;
      const id = await stack.send(mail({ subject: `DRY-RUN fwd ${DEMO_API_KEY}`, body }));
      const { parsed } = await replyFor(stack.sink, id);
      expect(parsed.blocks).toEqual([]);
      expect(parsed.refusal?.code).toBe('E_FORWARDED_TEMPLATE');
      expect(parsed.refusal?.message).toContain(`below the line ${JSON.stringify(separator)}`);
    },
  );
});
