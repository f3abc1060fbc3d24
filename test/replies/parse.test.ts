/**
 * Reading replies back, as a billing system does: whatever we compose parses to exactly what the
 * worker reported (round trip, including unicode, long lines and multi-line sentences), and text
 * that breaks the shape is refused with the line at fault.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  composeReplies,
  loadReplyTexts,
  type ReplyRequest,
  type TemplateReport,
  type TemplateStatus,
} from '../../src/replies/index.ts';
import { ERROR_CODES, type ErrorCode } from '../../src/shared/index.ts';
import { parseProblemLine, parseReply, parseReplyText } from '../support/reply-reader.ts';
import { FIXED_DATE, threeTemplates } from './support/reports.ts';

const texts = loadReplyTexts();
const options = {
  from: 'hostmaster@registry.example',
  hostname: 'registry.example',
  texts,
  date: FIXED_DATE,
};

/**
 * What a labelled line holds, as docs/reply-format.md says: a line the sender ended (LF, CRLF or
 * CR) joins the next with a blank; any other character some reader ends a line at, and every
 * control and bidirectional control, is shown, never collapsed (a C0 control or DEL as its
 * Control Picture, the rest as `\uXXXX`); blanks then fold to one. Collapsing LS or VT as mere
 * whitespace, as this once did, expected what the composer rightly does not write (seed 1861120168).
 */
const SHOWN = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u2028\u2029\u202A-\u202E\u2066-\u2069]/g;
const shownAsDocumented = (c: string) => {
  const code = c.charCodeAt(0);
  if (code < 0x20) return String.fromCharCode(0x2400 + code);
  if (code === 0x7f) return '\u2421';
  return `\\u${code.toString(16).padStart(4, '0')}`;
};
const flat = (s: string) =>
  s.replace(/\r\n?/g, '\n').replace(SHOWN, shownAsDocumented).replace(/\s+/g, ' ').trim();

/** Line breaks and controls a sender's text may hold: rare among random graphemes, so asked for. */
const breaking = fc.string({
  unit: fc.constantFrom(
    'a',
    ' ',
    '\n',
    '\r',
    '\t',
    '\v',
    '\f',
    '\u001c',
    '\u0085',
    '\u2028',
    '\u2029',
    '\u202e',
    '\u007f',
  ),
  minLength: 1,
  maxLength: 12,
});
const words = fc
  .oneof(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 }), breaking)
  .filter((s) => !/API-/i.test(s));
const status = fc.constantFrom<TemplateStatus>('APPROVED', 'REJECTED', 'PENDING_REVIEW');
const report = (index: number, total: number): fc.Arbitrary<TemplateReport> =>
  fc.record({
    index: fc.constant(index),
    total: fc.constant(total),
    form: fc.stringMatching(/^[A-Z][A-Z0-9-]{2,30}-\d\.\d$/),
    ticket: fc.option(fc.stringMatching(/^2026\d{4}-X\d{7}$/), { nil: undefined }),
    status,
    handles: fc.dictionary(
      fc.constantFrom('net', 'customer', 'org', 'poc'),
      fc.stringMatching(/^[A-Z0-9-]{3,20}$/),
    ),
    errors: fc.array(
      fc.record({
        code: fc.constantFrom(...(Object.keys(ERROR_CODES) as ErrorCode[])),
        message: words.filter((s) => flat(s) !== ''),
        field: fc.option(fc.stringMatching(/^\d{2}[a-z]?$/), { nil: undefined }),
        line: fc.option(fc.integer({ min: 1, max: 500 }), { nil: undefined }),
      }),
      { maxLength: 3 },
    ),
    notes: fc.array(
      words.filter((s) => flat(s) !== ''),
      { maxLength: 3 },
    ),
    echo: fc.array(words, { maxLength: 6 }).map((lines) => lines.join('\n')),
  });
const request: fc.Arbitrary<ReplyRequest> = fc
  .integer({ min: 1, max: 10 })
  .chain((total) => fc.tuple(...Array.from({ length: total }, (_, i) => report(i + 1, total))))
  .map((templates) => threeTemplates({ templates }));

function expected(r: TemplateReport) {
  return {
    index: r.index,
    total: r.total,
    form: r.form,
    ...(r.ticket ? { ticket: r.ticket } : {}),
    status: r.status,
    handles: Object.values(r.handles),
    errors: r.errors.map((e) => ({
      code: e.code,
      ...(e.field ? { field: e.field } : {}),
      ...(e.line ? { line: e.line } : {}),
      message: flat(e.message),
    })),
    notes: r.notes.map(flat),
  };
}

describe('round trip: compose, send as MIME, parse', () => {
  it('digest: every block comes back exactly as the worker reported it', async () => {
    await fc.assert(
      fc.asyncProperty(request, async (req) => {
        const [mail] = await composeReplies(req, { ...options, style: 'digest' });
        const parsed = await parseReply(mail!.raw);
        if (!parsed.ok) throw new Error(parsed.error.message);
        expect(parsed.value.blocks).toEqual(req.templates.map(expected));
        expect(parsed.value.submissionId).toBe('S123');
      }),
      { numRuns: 25 },
    );
  });

  it('per-template: each mail holds its own block', async () => {
    await fc.assert(
      fc.asyncProperty(request, async (req) => {
        const mails = await composeReplies(req, { ...options, style: 'per-template' });
        const blocks = [];
        for (const mail of mails) {
          const parsed = await parseReply(Buffer.from(mail.raw));
          if (!parsed.ok) throw new Error(parsed.error.message);
          expect(parsed.value.blocks).toHaveLength(1);
          expect(parsed.value.headers?.status).toBe(parsed.value.blocks[0]?.status);
          blocks.push(...parsed.value.blocks);
        }
        expect(blocks).toEqual(req.templates.map(expected));
      }),
      { numRuns: 15 },
    );
  });
});

describe('reading the body text alone', () => {
  const body = [
    'hostmasterd processed 2 templates: 1 APPROVED, 1 REJECTED.',
    'Submission: S9',
    '',
    'Template 1 of 2: ARIN-POC-5.1',
    'Ticket: 20261122-X0000001',
    'Status: APPROVED',
    'Handle: JD123-ARIN',
    'Lookup: a line a later version might add',
    '',
    'Template 1 as we received it (API key redacted):',
    '> Template: ARIN-POC-5.1',
    '> Status: this quoted line is not ours',
    '',
    'Template 2 of 2: ARIN-NET-MOD-5.3',
    'Status: REJECTED',
    'Error: E_MISSING_FIELD field 02: IP Address and Prefix or Range is required',
    'Error: E_NOT_AUTHORIZED: your account holds no authority over this network',
    '',
  ].join('\r\n');

  it('reads blocks from CRLF text, skipping quoted echoes and lines it does not know', () => {
    const parsed = parseReplyText(body);
    expect(parsed.ok && parsed.value).toEqual({
      summary: 'hostmasterd processed 2 templates: 1 APPROVED, 1 REJECTED.',
      status: 'REJECTED',
      submissionId: 'S9',
      blocks: [
        {
          index: 1,
          total: 2,
          form: 'ARIN-POC-5.1',
          ticket: '20261122-X0000001',
          status: 'APPROVED',
          handles: ['JD123-ARIN'],
          errors: [],
          notes: [],
        },
        {
          index: 2,
          total: 2,
          form: 'ARIN-NET-MOD-5.3',
          status: 'REJECTED',
          handles: [],
          errors: [
            { code: 'E_MISSING_FIELD', field: '02', message: 'IP Address and Prefix or Range is required' },
            { code: 'E_NOT_AUTHORIZED', message: 'your account holds no authority over this network' },
          ],
          notes: [],
        },
      ],
    });
  });

  it('parseReply takes the body alone as well as a whole message', async () => {
    const parsed = await parseReply(body);
    expect(parsed.ok && parsed.value.blocks).toHaveLength(2);
    expect(parsed.ok && parsed.value.headers).toBeUndefined();
  });

  it('refuses a block without a status, naming the line', () => {
    const parsed = parseReplyText(
      'hostmasterd processed 1 template: 1 APPROVED.\n\nTemplate 1 of 1: X-1.0\nTicket: T\n',
    );
    expect(parsed).toEqual({
      ok: false,
      error: { code: 'E_MALFORMED_REPLY', message: 'the block of template 1 has no Status line', line: 3 },
    });
  });

  it('refuses a status or an error line outside the contract', () => {
    const badStatus = parseReplyText('s\n\nTemplate 1 of 1: X\nStatus: DONE\n');
    expect(!badStatus.ok && badStatus.error).toMatchObject({ code: 'E_MALFORMED_REPLY', line: 4 });
    const badError = parseReplyText('s\n\nTemplate 1 of 1: X\nStatus: REJECTED\nError: something broke\n');
    expect(!badError.ok && badError.error).toMatchObject({ code: 'E_MALFORMED_REPLY', line: 5 });
  });

  it('says when a text is not a reply at all', () => {
    expect(parseReplyText('Hello,\nplease find attached...\n')).toMatchObject({
      ok: false,
      error: { code: 'E_NOT_A_REPLY' },
    });
    expect(parseReplyText('  \n')).toMatchObject({ ok: false, error: { code: 'E_NOT_A_REPLY' } });
  });

  it('splits an error line into code, field, line and sentence', () => {
    expect(parseProblemLine('E_X field 03 line 7: a: b')).toEqual({
      code: 'E_X',
      field: '03',
      line: 7,
      message: 'a: b',
    });
    expect(parseProblemLine('E_X line 2: s')).toEqual({ code: 'E_X', line: 2, message: 's' });
    expect(parseProblemLine('not a problem')).toBeUndefined();
  });
});

describe('a later answer after a staff action', () => {
  it('names the reply it replaces in a Supersedes line and header, in both styles; a first reply names none', async () => {
    const request: ReplyRequest = {
      ...threeTemplates(),
      supersedes: '<S123.reply@registry.example>',
    };
    for (const style of ['digest', 'per-template'] as const) {
      for (const mail of await composeReplies(request, { ...options, style })) {
        const parsed = await parseReply(mail.raw);
        if (!parsed.ok) throw new Error(parsed.error.message);
        expect(parsed.value.supersedes).toBe('<S123.reply@registry.example>');
        expect(parsed.value.headers?.supersedes).toBe('<S123.reply@registry.example>');
        expect(parsed.value.submissionId).toBe(request.submissionId);
      }
    }
    const [first] = await composeReplies(threeTemplates(), { ...options, style: 'digest' });
    const parsed = await parseReply(first!.raw);
    if (!parsed.ok) throw new Error(parsed.error.message);
    expect(parsed.value.supersedes).toBeUndefined();
    expect(parsed.value.headers?.supersedes).toBeUndefined();
  });
});
