/**
 * `hostmasterd validation run [--as-of DATE]` from a clone, on the embedded database: a round
 * mails the demo registry's POCs a year on, and run again the same day mails nobody twice.
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { prepareEmbeddedDatabase } from '../pipeline/support/prepared-database.ts';
import { processEnv, runCommand } from '../pipeline/support/processes.ts';

describe('hostmasterd validation run', () => {
  it('runs a round as of a date, and resumes it instead of mailing twice', async () => {
    const env = await processEnv({});
    await prepareEmbeddedDatabase(env['DATA_DIR']!);
    expect((await runCommand(['demo'], env, undefined, 120_000)).code).toBe(0);
    const day = new Date(Date.now() + 366 * 24 * 60 * 60 * 1000).toISOString().slice(0, 10);
    const first = await runCommand(['validation', 'run', '--as-of', day], env, undefined, 120_000);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`Validation round ${day}`);
    expect(first.stdout).toContain('mailed now: 2 (DEMO1-ARIN, OTHER1-ARIN)');
    const again = await runCommand(['validation', 'run', '--as-of', day], env, undefined, 120_000);
    expect(again.stdout).toContain('mailed now: 0');
    expect(again.stdout).toContain('already mailed in this round: 2');
    // Not due yet today: nobody is mailed.
    const today = await runCommand(['validation', 'run'], env, undefined, 120_000);
    expect(today.stdout).toContain('mailed now: 0');
    const wrong = await runCommand(['validation', 'run', '--as-of', 'next tuesday'], env);
    expect(wrong.code).toBe(64);
    expect(wrong.stderr).toContain('is not a date');
    // An impossible day (Date would roll it into March) and a typo's far future: refused before
    // anything is written, never run as another day or failed half-way with SQL.
    for (const [typo, why] of [
      ['2026-02-30', 'is not a day of the calendar'],
      ['2027-13-01', 'is not a'],
      ['9999-12-31', 'at most 10 years on'],
      ['1970-01-01', 'is outside'],
    ] as const) {
      const refused = await runCommand(['validation', 'run', '--as-of', typo], env);
      expect(refused.code, typo).toBe(64);
      expect(refused.stderr, typo).toContain(why);
      expect(refused.stdout, typo).toBe('');
    }
    expect((await runCommand(['seed', 'x.json', '--as-of', day], env)).code).toBe(64);
    fs.rmSync(env['DATA_DIR']!, { recursive: true, force: true });
  }, 300_000);
});
