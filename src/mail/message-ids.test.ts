/**
 * The ids of a threading field, as RFC 5322's msg-id writes them: what is not one is dropped
 * whole, never cut into an id the sender did not name (`<a b@x>` once read as `<b@x>`).
 */
import { describe, expect, it } from 'vitest';
import { messageIdsIn } from '../shared/index.ts';
import { readWithMailparser } from './extract.ts';
import { extractMail } from './index.ts';

describe('messageIdsIn', () => {
  it.each([
    ['one id', '<a@x>', ['<a@x>']],
    ['several ids, any spacing', '<a@x>  <b.c@y.example>\t<d@z>', ['<a@x>', '<b.c@y.example>', '<d@z>']],
    ['ids written together', '<a@x><b@y>', ['<a@x>', '<b@y>']],
    ['folded lines', '<a@x>\r\n <b@y>\r\n\t<c@z>', ['<a@x>', '<b@y>', '<c@z>']],
    ['a space inside the brackets', '<a b@x>', []],
    ['a space inside, among good ids', '<r0@x> <a b@x> <r2@x>', ['<r0@x>', '<r2@x>']],
    ['a folded id', '<a\r\n b@x>', []],
    ['comments, nested and with quoted pairs', '(one (two) \\) <no@x>) <a@x> (three)', ['<a@x>']],
    ['a comment inside the brackets (obsolete syntax)', '<a(c)@x>', []],
    ['a quoted string holding an id', '"see <no@x>" <a@x>', ['<a@x>']],
    ['a quoted local part (obsolete syntax)', '<"a b"@x> <c@x>', ['<c@x>']],
    ['bare words', 'garbage without brackets <r1@x> a@y', ['<r1@x>']],
    ['a bare word against an id', 'word<a@x>', ['<a@x>']],
    ['no @', '<abc> <a@x>', ['<a@x>']],
    ['two @', '<a@b@x>', []],
    ['an empty side', '<@x> <a@> <>', []],
    ['dots out of place', '<.a@x> <a..b@x> <a@x.>', []],
    ['a domain literal on the right', '<a@[192.0.2.1]>', ['<a@[192.0.2.1]>']],
    ['an unclosed bracket, then an id', '<a@x <b@y>', ['<b@y>']],
    ['an unclosed bracket at the end', '<a@x> <b@y', ['<a@x>']],
    ['an unclosed comment swallows the rest', '<a@x> (open <b@y>', ['<a@x>']],
    ['a stray closing bracket', '> a@x> <b@y>', ['<b@y>']],
    ['UTF-8 (RFC 6532)', '<idé@exemple.fr>', ['<idé@exemple.fr>']],
    ['a line separator or a control character', '<a\u2028b@x> <a\u0085b@x> <a\u0001b@x>', []],
    ['empty', '', []],
  ])('%s', (_, value, ids) => {
    expect(messageIdsIn(value)).toEqual(ids);
  });
});

describe('the threading headers of a message, both readers alike', () => {
  it('In-Reply-To is its first id, comments and broken ids passed over; References every id, folded lines too', async () => {
    const raw = Buffer.from(
      [
        'From: a@b.example',
        'Subject: Re: x',
        'Message-ID: <m@b.example>',
        'In-Reply-To: (our last mail) <a b@x.example> <p1@x.example> <p2@x.example>',
        'References: <r0@x.example> (one (nested)) <a b@x.example>',
        ' "quoted <q@x.example>" bare@word <r1@x.example>',
        'References: <r2@x.example>',
        'MIME-Version: 1.0',
        'Content-Type: text/plain',
        '',
        'hello',
        '',
      ].join('\r\n'),
    );
    for (const reader of [undefined, readWithMailparser]) {
      const read = await extractMail(raw, reader);
      if (!read.ok) throw new Error(read.error.message);
      expect(read.value.headers.inReplyTo).toBe('<p1@x.example>');
      expect(read.value.headers.references).toEqual(['<r0@x.example>', '<r1@x.example>', '<r2@x.example>']);
    }
  });
});
