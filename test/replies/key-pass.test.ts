/**
 * A reply's API keys are hidden in one pass over its body, the echoes' lines left to it
 * (src/replies/layout.ts, `assemble`): the body must be byte for byte what hiding each echo line
 * on its own and then the body wrote (`digestBodyHidingEachLine`), whatever the echoes hold. Here
 * over generated echoes built from the pieces that matter: keys in every shape (prefixed, bare,
 * glued, in look-alike letters), their groups split over two lines or across the cut of a long
 * line, hex groups that almost make a key, IPv6 text, characters shown instead of written (LS,
 * NEL, CR), letters outside ASCII, and replies with none of them (which take the one pass alone).
 */
import { describe, expect, it } from 'vitest';
import { loadReplyTexts, type ReplyRequest, type TemplateReport } from '../../src/replies/index.ts';
import { digestBody, digestBodyHidingEachLine } from '../../src/replies/layout.ts';
import { mayHoldKey } from '../../src/shared/index.ts';

const texts = loadReplyTexts();

const PIECES = [
  'API-7F3A-9C2E-B41D-58E6',
  '7F3A-9C2E-B41D-58E6',
  '7F3A 9C2E',
  'B41D 58E6',
  '7F3A-',
  '-9C2E',
  'B41D',
  '7f3a9c2eb41d58e6',
  'AP1 7F3A9C2E',
  'A P I',
  'key: 7F3A-9C2E-B41D-58E6',
  'KEY',
  'API-7F3A',
  'API Key: API-****-****-****-CDEF',
  '2001:0DB8:0000:0000::/64',
  '2001:db8::1',
  '198.51.100.0/29',
  '+1-703-555-0100',
  '2026-12-07',
  'M\u00fcller',
  '\u2028',
  '\u0085',
  '\r',
  '\t',
  'ABCD',
  '1234',
  ' ',
  '-',
  ':',
  'Template: ARIN-POC-5.1',
  '04. Last Name: Doe',
  'END OF TEMPLATE',
  'x'.repeat(993),
];

/** A small deterministic generator (mulberry32), so a failure names its seed. */
function generator(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const below = (n: number) => Math.floor(next() * n);
  return { below, pick: <T>(list: readonly T[]) => list[below(list.length)]! };
}

/** A report whose echo (and a note) is made of random pieces; `plain` keeps to key-free ASCII. */
function report(seed: number, index: number, total: number, plain: boolean): TemplateReport {
  const random = generator(seed);
  const pieces = plain
    ? ['Template: ARIN-POC-5.1', '04. Last Name: Doe', 'ABCD', '1234', ' ', '-', 'x']
    : PIECES;
  const lines = Array.from({ length: 1 + random.below(12) }, () =>
    Array.from({ length: random.below(5) }, () => random.pick(pieces)).join(''),
  );
  const echo = lines.join(random.below(4) === 0 ? '\r\n' : '\n');
  return {
    index,
    total,
    form: 'ARIN-POC-5.1',
    ticket: `20261207-X000000${index}`,
    status: random.below(2) === 0 ? 'APPROVED' : 'REJECTED',
    handles: {},
    errors:
      random.below(2) === 0
        ? [
            {
              code: 'E_INVALID_FIELD',
              field: '04',
              line: 1 + random.below(lines.length),
              message: 'not a name',
            },
          ]
        : [],
    notes: [random.pick(pieces)],
    echo,
  };
}

function request(seed: number, plain: boolean): ReplyRequest {
  const total = 1 + (seed % 4);
  return {
    submissionId: `S${seed}`,
    to: 'billing@isp.example',
    templates: Array.from({ length: total }, (_, i) => report(seed * 31 + i, i + 1, total, plain)),
  };
}

describe('API keys hidden in one pass over a reply', () => {
  it('writes every generated reply byte for byte as hiding each echo line first did', () => {
    let onePass = 0;
    let again = 0;
    for (let seed = 1; seed <= 3000; seed++) {
      const asked = request(seed, seed % 5 === 0);
      const body = digestBody(asked, texts);
      expect(body, `seed ${seed}`).toBe(digestBodyHidingEachLine(asked, texts));
      if (mayHoldKey(body)) again++;
      else onePass++;
    }
    // Both ways were taken: the one pass alone, and the body written again line by line.
    expect(onePass).toBeGreaterThan(300);
    expect(again).toBeGreaterThan(300);
  });

  it('writes a key split over two echo lines as before, and hides one across the cut of a long line', () => {
    const split = request(1, true);
    const templates = [
      { ...split.templates[0]!, echo: 'Template: ARIN-POC-5.1\n08. Comment: 7F3A-9C2E-\nB41D-58E6 is ours' },
      {
        ...split.templates[0]!,
        index: 2,
        echo: `Template: ARIN-POC-5.1\n${'y'.repeat(990)} 7F3A-9C2E-B41D-58E6`,
      },
    ];
    const body = digestBody({ ...split, templates }, texts);
    expect(body).toBe(digestBodyHidingEachLine({ ...split, templates }, texts));
    // The cut line is hidden on its own before it is cut: not a group of the key shows.
    expect(body).toMatch(/> 2 \| y+ API-\*{4}-/);
    expect(body).not.toMatch(/y 7F3A/);
  });
});
