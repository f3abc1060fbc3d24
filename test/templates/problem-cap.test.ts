/**
 * A template with a problem on every line (here ~124,000: a broken generator, a pasted log)
 * is answered with the first 100 problems by line and one line counting the rest, in the
 * parse, in lint and in memory: it used to end in "Maximum call stack size exceeded".
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lintCommand } from '../../src/commands/lint.ts';
import { parseSubmission } from '../../src/templates/index.ts';
import { MAX_PROBLEMS_LISTED, ProblemList } from '../../src/templates/problem-list.ts';
import { commandOutput } from '../support/command-output.ts';

/** A POC template whose body is `count` lines that are no field (each one E_UNEXPECTED_LINE). */
function templateWithProblems(count: number): string {
  const junk = Array.from({ length: count }, (_, i) => `junk line ${i}`);
  return ['Template: ARIN-POC-5.1', ...junk, '01. Registration Action: Q', 'END OF TEMPLATE', ''].join('\n');
}

describe('problems per template are capped', () => {
  it('124,000 problems: the first 100 by line, then one line counting the rest', () => {
    const count = 124_000;
    const parsed = parseSubmission({ text: templateWithProblems(count) });
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const result = parsed.templates[0]!.result;
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toHaveLength(MAX_PROBLEMS_LISTED + 1);
    expect(result.error.slice(0, MAX_PROBLEMS_LISTED).map((p) => p.line)).toEqual(
      Array.from({ length: MAX_PROBLEMS_LISTED }, (_, i) => i + 2),
    );
    const last = result.error[MAX_PROBLEMS_LISTED]!;
    expect(last.code).toBe('E_TOO_MANY_PROBLEMS');
    // 124,000 unexpected lines, a wrong action and the missing required fields, less the 100 listed.
    expect(last.message).toMatch(/^and 12[34],\d{3} more problems in this template, not listed/);
  });

  it('lists the lowest lines whatever step found them, and nothing is counted twice', () => {
    const list = new ProblemList(3);
    for (const line of [9, 5, 7, 5, 1, 8, 2])
      list.push({ code: 'E_INVALID_VALUE', message: `l${line}`, line });
    expect(list.length).toBe(7);
    const listed = list.listed();
    expect(listed.map((p) => p.line)).toEqual([1, 2, 5, undefined]);
    expect(listed[3]!.message).toMatch(/^and 4 more problems/);
    const few = new ProblemList(3);
    few.push({ code: 'E_INVALID_VALUE', message: 'b', line: 4 });
    few.push({ code: 'E_INVALID_VALUE', message: 'a', line: 4 });
    expect(few.listed().map((p) => p.message)).toEqual(['b', 'a']);
  });

  it('thousands of different keys are refused in one line naming five of them', () => {
    const keys = Array.from(
      { length: 5000 },
      (_, i) => `API-${i.toString(16).padStart(4, '0')}-0000-0000-0001`,
    );
    const parsed = parseSubmission({ subject: keys.join(' '), text: templateWithProblems(1) });
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.problem.code).toBe('E_MULTIPLE_API_KEYS');
    expect(parsed.problem.message).toContain('carries 5000 different API keys (');
    expect(parsed.problem.message).toContain(' and 4995 more); use one key per message');
    expect(parsed.problem.message.length).toBeLessThan(300);
  });

  it('a small template keeps every problem, without the closing line', () => {
    const parsed = parseSubmission({ text: templateWithProblems(3) });
    if (!parsed.ok) throw new Error('expected templates');
    const result = parsed.templates[0]!.result;
    if (result.ok) throw new Error('expected problems');
    expect(result.error.map((p) => p.code)).not.toContain('E_TOO_MANY_PROBLEMS');
    expect(result.error.filter((p) => p.code === 'E_UNEXPECTED_LINE')).toHaveLength(3);
  });

  it('costs time in proportion to the problems found, listed or not', () => {
    const cpuMs = (text: string) => {
      let best = Number.POSITIVE_INFINITY;
      for (let i = 0; i < 3; i++) {
        const before = process.cpuUsage();
        parseSubmission({ text });
        const used = process.cpuUsage(before);
        best = Math.min(best, (used.user + used.system) / 1000);
      }
      return best;
    };
    const small = cpuMs(templateWithProblems(7_750));
    const large = cpuMs(templateWithProblems(124_000)); // 16 times the lines
    expect(large / Math.max(small, 1)).toBeLessThan(16 * 3);
  });

  it('lint prints the capped list (it threw on the spread of every line)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lint-cap-'));
    const file = join(dir, 'many.txt');
    writeFileSync(file, templateWithProblems(124_000));
    const io = commandOutput();
    const code = await lintCommand([file], io);
    const out = io.written().stdout;
    expect(code).toBe(1);
    const errors = out.split('\n').filter((l) => /^ {4}E_/.test(l));
    expect(errors).toHaveLength(MAX_PROBLEMS_LISTED + 1);
    expect(errors.at(-1)).toMatch(/^ {4}E_TOO_MANY_PROBLEMS: and 12[34],\d{3} more problems/);
  });
});
