/**
 * Property tests: random and mutated templates and messages through extraction and parsing.
 * Whatever comes in, no exception escapes, and every outcome is a request or error values
 * (codes, sentences, plausible line numbers), with no API key in any echo.
 * 6,000 + 3,000 + 1,500 + 150 runs; `npm run fuzz` runs the mail chain's 100,000.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { extractMail } from '../../src/mail/index.ts';
import { readMessage } from '../../src/reading/index.ts';
import type { Problem } from '../../src/shared/errors.ts';
import { FORMS, parseSubmission, type RequestKind, type SubmissionParse } from '../../src/templates/index.ts';
import { nastyMail, READING_CODES, readingViolations } from '../support/fuzz-mail.ts';

const FIXTURES = join(import.meta.dirname, '../fixtures/mail');
const EML = readdirSync(FIXTURES)
  .filter((n) => n.endsWith('.eml'))
  .map((n) => readFileSync(join(FIXTURES, n)));
const BLANKS = readdirSync(join(import.meta.dirname, '../../templates'))
  .filter((n) => n.endsWith('.txt'))
  .map((n) => readFileSync(join(import.meta.dirname, '../../templates', n), 'utf8'));

const KINDS = new Set<RequestKind>([
  'poc.create',
  'poc.modify',
  'poc.remove',
  'org.create',
  'org.modify',
  'org.remove',
  'reassign-simple.create',
  'reassign-simple.modify',
  'reassign-simple.remove',
  'reassign-detailed',
  'reallocate',
  'net.modify',
  'net.remove',
]);
const FULL_KEY = /API(?:-[0-9A-Fa-f]{4}){4,8}/i;

function checkProblem(p: Problem, lineCount: number): void {
  expect(p.code).toMatch(/^E_[A-Z_]+$/);
  // Every code that can come out is one of reading's in the catalogue.
  expect([...READING_CODES]).toContain(p.code);
  expect(typeof p.message).toBe('string');
  expect(p.message.length).toBeGreaterThan(0);
  if (p.line !== undefined) {
    expect(p.line).toBeGreaterThanOrEqual(1);
    expect(p.line).toBeLessThanOrEqual(lineCount);
  }
  if (p.field !== undefined) expect(p.field).toMatch(/^\d{1,3}[a-zA-Z]?$/);
}

function checkOutcome(r: SubmissionParse, text: string): void {
  const lineCount = text.split(/\r\n|\r|\n/).length;
  if (!r.ok) {
    checkProblem(r.problem, lineCount);
    expect(['E_NO_TEMPLATE', 'E_TOO_MANY_TEMPLATES', 'E_MULTIPLE_API_KEYS']).toContain(r.problem.code);
    return;
  }
  expect(r.templates.length).toBeGreaterThan(0);
  expect(r.templates.length).toBeLessThanOrEqual(10);
  r.templates.forEach((t, i) => {
    expect(t.index).toBe(i + 1);
    expect(t.echo).not.toMatch(FULL_KEY);
    if (t.result.ok) expect(KINDS.has(t.result.value.kind)).toBe(true);
    else {
      expect(t.result.error.length).toBeGreaterThan(0);
      for (const p of t.result.error) checkProblem(p, lineCount);
    }
  });
}

const SAMPLE_VALUES = [
  'N',
  'M',
  'R',
  'x',
  'NONE',
  '',
  'DEMO1-ARIN',
  'DEMOISP-1',
  '198.51.100.0/24',
  '198.51.100.0\\24',
  '198.51.100.0 - 198.51.100.255',
  '2001:db8::/32',
  '999.1.1.1/8',
  'AS64500, 64501',
  'US',
  'ZZ',
  'noc@demo-isp.example',
  '+1-703-555-0100',
  'Yes',
  'P',
  'API-1234-5678-9ABC-DEF0',
  'API-12',
  'rwhois://a.example:4321',
];
const headerName = fc.oneof(
  fc.constantFrom(...FORMS.flatMap((f) => f.versions.map((v) => `${f.name}-${v.major}.${v.latestMinor}`))),
  fc.constantFrom('ARIN-FOOBAR-5.0', 'REASSIGN-SIMPLE-4.1', 'ARIN-POC', 'ARIN-POC-9.9', ''),
  fc.string({ maxLength: 20 }),
);
const fieldLine = fc.oneof(
  fc
    .tuple(
      fc.integer({ min: 0, max: 40 }),
      fc.constantFrom('', 'a', 'b'),
      fc.string({ maxLength: 15 }),
      fc.oneof(fc.constantFrom(...SAMPLE_VALUES), fc.string({ maxLength: 40 })),
    )
    .map(([n, letter, label, value]) => `${String(n).padStart(2, '0')}${letter}. ${label}: ${value}`),
  fc.constantFrom(
    '** comment',
    '',
    '   continued',
    '> quoted',
    'END OF TEMPLATE',
    'Template: ARIN-POC-5.1',
    '\t',
    'API-1234-5678-9ABC-DEF0',
  ),
  fc.string({ maxLength: 60 }),
);
const randomTemplate = fc
  .tuple(
    fc.string({ maxLength: 30 }),
    headerName,
    fc.array(fieldLine, { maxLength: 30 }),
    fc.boolean(),
    fc.constantFrom('\n', '\r\n', '\r'),
  )
  .map(([before, name, lines, end, eol]) =>
    [before, `Template: ${name}`, ...lines, end ? 'END OF TEMPLATE' : ''].join(eol),
  );

type Mutation = {
  op: 'delete' | 'duplicate' | 'insert' | 'swap' | 'quote' | 'upper' | 'truncate';
  at: number;
  text: string;
};
const mutation = fc.record({
  op: fc.constantFrom<Mutation['op']>('delete', 'duplicate', 'insert', 'swap', 'quote', 'upper', 'truncate'),
  at: fc.nat(),
  text: fc.string({ maxLength: 20 }),
});

function mutate(text: string, mutations: readonly Mutation[]): string {
  let lines = text.split('\n');
  for (const m of mutations) {
    const i = lines.length === 0 ? 0 : m.at % lines.length;
    const line = lines[i] ?? '';
    switch (m.op) {
      case 'delete':
        lines.splice(i, 1);
        break;
      case 'duplicate':
        lines.splice(i, 0, line);
        break;
      case 'insert':
        lines[i] = line.slice(0, m.at % (line.length + 1)) + m.text + line.slice(m.at % (line.length + 1));
        break;
      case 'swap':
        lines[i] = lines[(i + 1) % lines.length] ?? '';
        break;
      case 'quote':
        lines[i] = `> ${line}`;
        break;
      case 'upper':
        lines[i] = line.toUpperCase();
        break;
      case 'truncate':
        lines = lines.slice(0, i + 1);
        break;
    }
  }
  return lines.join('\n');
}

/** Blank forms filled with sample values, then mutated. */
const filledBlank = fc
  .tuple(
    fc.constantFrom(...BLANKS),
    fc.array(fc.constantFrom(...SAMPLE_VALUES), { minLength: 40, maxLength: 40 }),
  )
  .map(([blank, values]) => {
    let i = 0;
    return blank.replace(
      /^(\d+[a-z]?\.[^\n]*:)$/gm,
      (_m, label: string) => `${label} ${values[i++ % values.length]}`,
    );
  });

describe('fuzz: templates', () => {
  it('random templates never throw and always give requests or problems', () => {
    fc.assert(
      fc.property(
        fc.array(randomTemplate, { minLength: 0, maxLength: 12 }),
        fc.string({ maxLength: 50 }),
        (templates, subject) => {
          const text = templates.join('\n');
          checkOutcome(parseSubmission({ subject, text }), text);
        },
      ),
      { numRuns: 6000 },
    );
  }, 120_000); // ~5 s alone; generous for a loaded CI machine running the whole suite

  it('mutated filled-in blank forms never throw', () => {
    fc.assert(
      fc.property(filledBlank, fc.array(mutation, { maxLength: 6 }), (text, mutations) => {
        const mutated = mutate(text, mutations);
        checkOutcome(parseSubmission({ text: mutated }), mutated);
      }),
      { numRuns: 3000 },
    );
  }, 120_000);
});

describe('fuzz: mail extraction', () => {
  const byteMutation = fc.record({ at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }), cut: fc.boolean() });
  const randomMime = fc
    .tuple(
      fc.constantFrom(
        'text/plain',
        'text/html',
        'multipart/mixed; boundary=b',
        'application/octet-stream',
        'multipart/signed; boundary=b',
      ),
      fc.constantFrom('7bit', 'base64', 'quoted-printable', '8bit'),
      fc.constantFrom('utf-8', 'iso-8859-1', 'windows-1252', 'x-unknown', ''),
      fc.string({ maxLength: 300 }),
    )
    .map(
      ([type, cte, charset, body]) =>
        `From: a@b.example\nSubject: fuzz\nContent-Type: ${type}${charset ? `; charset=${charset}` : ''}\nContent-Transfer-Encoding: ${cte}\n\n--b\nContent-Type: text/plain\n\n${body}\n--b--\n`,
    );

  it('mutated and random messages never throw out of extraction and parsing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.tuple(fc.constantFrom(...EML), fc.array(byteMutation, { maxLength: 8 })).map(([raw, muts]) => {
            let bytes = Buffer.from(raw);
            for (const m of muts) {
              const i = bytes.length === 0 ? 0 : m.at % bytes.length;
              if (m.cut) bytes = bytes.subarray(0, i);
              else if (bytes.length > 0) bytes[i] = m.byte;
            }
            return bytes;
          }),
          randomMime.map((s) => Buffer.from(s, 'latin1')),
          fc.uint8Array({ maxLength: 400 }).map((a) => Buffer.from(a)),
        ),
        async (raw) => {
          const mail = await extractMail(raw);
          if (!mail.ok) {
            expect([...READING_CODES]).toContain(mail.error.code);
            return;
          }
          expect(typeof mail.value.text).toBe('string');
          expect(mail.value.text).not.toContain('\r');
          checkOutcome(
            parseSubmission({ subject: mail.value.headers.subject, text: mail.value.text }),
            mail.value.text,
          );
        },
      ),
      { numRuns: 1500 },
    );
  }, 120_000);
});

describe('fuzz: the mail and template chain', () => {
  it('nasty MIME (nesting, charsets, encodings, huge lines, deep HTML) reads to documented outcomes', async () => {
    await fc.assert(
      fc.asyncProperty(nastyMail(), async (raw) => {
        // The worker's own reading (src/reading), in place: the thread only moves where it runs.
        const reading = await readMessage(raw, { maxTemplates: 10 });
        expect(readingViolations(reading)).toEqual([]);
      }),
      { numRuns: 150 },
    );
  }, 120_000);
});
