/**
 * The one header split: it ends the header block where mailparser does, so the worker's choice
 * of whom to answer (read from the block) and the mail it reads (from mailparser) agree on which
 * lines are headers, whatever the line endings.
 */
import { Headers } from '@zone-eu/mailsplit';
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { headerBlock, headerFieldLines, headerFields, headerSection, readReplyHeaders } from './index.ts';

const LINE_ENDS = ['\n', '\r\n'] as const;

/** Every way of writing `From`, `Subject`, an empty line and a body line that looks like a header. */
function variants(): { readonly name: string; readonly raw: Buffer }[] {
  const out: { name: string; raw: Buffer }[] = [];
  for (const afterHeaders of LINE_ENDS) {
    for (const emptyLine of LINE_ENDS) {
      for (const inBody of LINE_ENDS) {
        const raw = `From: isp@demo-isp.example${afterHeaders}Subject: s${afterHeaders}${emptyLine}Reply-To: victim@elsewhere.example${inBody}${inBody}body${inBody}`;
        out.push({ name: JSON.stringify({ afterHeaders, emptyLine, inBody }), raw: Buffer.from(raw) });
      }
    }
  }
  return out;
}

describe('headerBlock', () => {
  it('keeps what it kept: CRLF and LF messages end at their first empty line', () => {
    expect(headerBlock(Buffer.from('A: 1\r\nB: 2\r\n\r\nbody')).toString()).toBe('A: 1\r\nB: 2');
    expect(headerBlock(Buffer.from('A: 1\nB: 2\n\nbody')).toString()).toBe('A: 1\nB: 2');
    expect(headerBlock(Buffer.from('A: 1\nB: 2')).toString()).toBe('A: 1\nB: 2');
  });

  it('ends at an empty line after a mixed line end ("\\n\\r\\n", "\\r\\n\\n"), as mailparser does', () => {
    expect(headerBlock(Buffer.from('A: 1\n\r\nReply-To: x@y.example\n\nbody')).toString()).toBe('A: 1');
    expect(headerBlock(Buffer.from('A: 1\r\n\nReply-To: x@y.example\n\nbody')).toString()).toBe('A: 1');
    expect(headerBlock(Buffer.from('\r\nReply-To: x@y.example\n\nbody')).toString()).toBe('');
  });

  it('never reads a body line as a header that mailparser reads as body', async () => {
    for (const { name, raw } of variants()) {
      const parsed = await simpleParser(raw, { skipHtmlToText: true, skipTextToHtml: true });
      const fromBlock = readReplyHeaders(headerBlock(raw));
      expect(parsed.headers.has('reply-to'), name).toBe(false);
      expect(fromBlock.replyTo, name).toBeUndefined();
      expect(fromBlock.from, name).toContain('isp@demo-isp.example');
    }
  });
});

/** Header sections written oddly: folding, a first line that starts folded, lines without a colon, bare CR. */
const ODD_SECTIONS = [
  'A: 1\r\nB: 2\r\n\r\nbody',
  'A: 1\n  folded\n\tagain\nB:2\n\nbody\n',
  '  leading: starts folded\r\nA: 1\r\n\r\n',
  'no colon here\r\n continued: later\r\nA: 1\r\n\r\nbody',
  'A: 1\rstill A\r\nB : 2\r\n',
  'A: 1\n\r\nReply-To: x@y.example\n\nbody',
];

describe('headerSection and headerFieldLines', () => {
  it('give the positions of the header lines and of the empty line after them', () => {
    expect(headerSection('A: 1\r\nB: 2\r\n\r\nbody')).toEqual({ fieldsEnd: 12, bodyStart: 14 });
    expect(headerSection(Buffer.from('A: 1\n\nbody'))).toEqual({ fieldsEnd: 5, bodyStart: 6 });
    expect(headerSection('\r\nbody')).toEqual({ fieldsEnd: 0, bodyStart: 2 });
    expect(headerSection('A: 1\r\n')).toEqual({ fieldsEnd: 6, bodyStart: 6 });
    expect(headerBlock('A: 1\r\nB: 2\r\n\r\nbody')).toBe('A: 1\r\nB: 2');
  });

  it("group lines into fields as mailsplit (mailparser's splitter) does, every byte kept", () => {
    for (const section of ODD_SECTIONS) {
      const fields = headerFieldLines(section);
      const block = section.slice(0, headerSection(section).fieldsEnd);
      expect(fields.map((f) => f.lines).join(''), JSON.stringify(section)).toBe(block);
      const theirs = new Headers(Buffer.from(block)).getList().map((l) => l.line);
      expect(
        fields.map((f) => f.lines.replace(/\r?\n$/, '').replace(/\r?\n/g, '\r\n')),
        JSON.stringify(section),
      ).toEqual(theirs);
    }
  });

  it('read fields by lower-case name, unfolded, skipping lines that are not fields', () => {
    const fields = headerFields(
      'no colon here\r\n continued: later\r\nFrom : a@b.example\r\n  (c)\r\n\r\nX: body',
    );
    expect([...fields.keys()]).toEqual(['from']);
    expect(fields.get('from')).toEqual(['a@b.example (c)']);
  });
});
