import { describe, expect, it } from 'vitest';
import { parseSubmission, splitTemplates } from './index.ts';
import { readableLine } from './split.ts';

const KEY = 'API-1234-5678-9ABC-DEF0';
const SIMPLE = [
  'Template: ARIN-REASSIGN-SIMPLE-5.3',
  `00. API Key: ${KEY}`,
  '01. Registration Action (N, M or R): N',
  '03. IP Address and Prefix or Range: 198.51.100.16/28',
  '06. Customer Name: Example Customer',
  '07. Customer Address: 1 Main St',
  '08. Customer City: Springfield',
  '09. Customer State/Province: VA',
  '10. Customer Postal Code: 22150',
  '11. Customer Country Code: US',
  'END OF TEMPLATE',
];

/**
 * Characters nobody sees that copy and paste brings along (Unicode's format characters, Cf):
 * from web pages, wikis and chat, word processors, right-to-left locales.
 */
const INVISIBLE: ReadonlyArray<readonly [name: string, character: string]> = [
  ['zero-width space', '\u200B'],
  ['zero-width non-joiner', '\u200C'],
  ['zero-width joiner', '\u200D'],
  ['left-to-right mark', '\u200E'],
  ['right-to-left mark', '\u200F'],
  ['word joiner', '\u2060'],
  ['byte order mark', '\uFEFF'],
  ['soft hyphen', '\u00AD'],
  ['Mongolian vowel separator', '\u180E'],
  ['left-to-right isolate', '\u2066'],
  ['Hangul filler', '\u3164'],
  ['combining grapheme joiner', '\u034F'],
  ['variation selector', '\uFE0F'],
];

const parsedOk = (text: string) => {
  const r = parseSubmission({ text });
  if (!r.ok) throw new Error(`${r.problem.code}: ${r.problem.message}`);
  return r.templates;
};

describe('lines read as a person sees them', () => {
  it.each(INVISIBLE)(
    'a %s before "Template:", in field numbers and labels, and around values',
    (_name, c) => {
      const lines = [...SIMPLE];
      lines[0] = `${c}${lines[0]}`;
      lines[1] = `${c}${lines[1]}`; // the key line: the one-key rule must see it
      lines[2] = `0${c}1. Regis${c}tration Action (N, M or R):${c} N${c}`;
      lines[4] = `${c}  06.${c} Customer Name: Example Customer`;
      lines[10] = `${c}END OF${c} TEMPLATE`;
      const [t] = parsedOk(`Hello,\n${c}\n${lines.join('\n')}\n`);
      expect(t!.result.ok ? t!.result.value : t!.result.error).toMatchObject({
        kind: 'reassign-simple.create',
      });
      expect(t!.formAsWritten).toBe('ARIN-REASSIGN-SIMPLE-5.3');
      expect(t!.endLine).toBeDefined();
      // The echo shows what was sent, as it was sent.
      expect(t!.echo.split('\n')[0]).toBe(`${c}Template: ARIN-REASSIGN-SIMPLE-5.3`);
    },
  );

  it('a form name with an invisible character inside is the form', () => {
    const [block] = splitTemplates('Template: ARIN-\u200BREASSIGN-SIMPLE-5.3\u200B\nEND OF TEMPLATE');
    expect(block!.header).toBe('ARIN-REASSIGN-SIMPLE-5.3');
  });

  it('NBSP and the other Unicode spaces are blanks', () => {
    const lines = SIMPLE.map((l) => `\u00A0\u2007${l.replace(': ', ':\u00A0')}`);
    const [t] = parsedOk(lines.join('\n'));
    expect(t!.result.ok).toBe(true);
  });

  it('a key line behind an invisible character counts for the one-key rule', () => {
    const lines = [...SIMPLE];
    lines[1] = `\u200B00. API Key: ${KEY}`;
    const r = parseSubmission({ text: lines.join('\n'), subject: 'SWIP API-0000-0000-0000-0002' });
    expect(!r.ok && r.problem.code).toBe('E_MULTIPLE_API_KEYS');
  });

  it('a quoted line behind an invisible character is still quoted', () => {
    const quoted = SIMPLE.map((l) => `\u200B> ${l}`).join('\n');
    const r = parseSubmission({ text: `Thanks\n${quoted}` });
    expect(!r.ok && r.problem.code).toBe('E_NO_TEMPLATE');
  });

  it('leaves invisible characters inside a value to the value own checks', () => {
    expect(readableLine('\u200B06. Customer\u00AD Name:\u200B Example\u200BCustomer\u200B ')).toBe(
      '06. Customer Name: Example\u200BCustomer ',
    );
    expect(readableLine('plain line: as it was')).toBe('plain line: as it was');
    expect(readableLine('\u2060continued\u2060value\u2060')).toBe('continued\u2060value');
  });

  it('cleans the edges of a long line in time that grows with it, not faster', () => {
    // The process's CPU time, not the wall clock (a time slice lost to another process inside
    // one measurement moved the ratio on a busy machine), the least of three (a garbage
    // collection landing in one), and both sizes past 20,000 characters: below that V8 ran it
    // ~25x faster a character (10,000: 33 µs; 40,000: 806; 320,000: 5,731), so a ratio from
    // 10,000 read that step as growth (90-171 for linear code).
    const time = (n: number) => {
      const line = `\u200B01. Label: x${' '.repeat(n)}y${' \u200B'.repeat(n)}z`;
      const started = process.cpuUsage();
      for (let i = 0; i < 5; i++) readableLine(line);
      const used = process.cpuUsage(started);
      return used.user + used.system;
    };
    time(1_000);
    const small = Math.max(1, Math.min(time(40_000), time(40_000), time(40_000)));
    const large = Math.min(time(320_000), time(320_000), time(320_000));
    // Eight times the line: linear is ~8, quadratic 64.
    expect(large / small).toBeLessThan(8 * 4);
  });
});
