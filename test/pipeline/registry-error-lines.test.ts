/**
 * Errors of the registry's rules (not within a parent, overlap, unknown POC) name the line of the
 * field they are about and quote it, as parse errors do: `Error: E_NOT_WITHIN_PARENT field 03
 * line 4: ...` then `  > 4 | 03. ...`, the quote the echo's line.
 */
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_API_KEY } from '../../src/registry/index.ts';
import { mail, type Stack, startStack } from '../support/stack.ts';
import { personPoc, simpleReassignment } from './support/forms.ts';
import { replyFor } from './support/outcomes.ts';

describe('registry errors carry their line (pglite)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ backend: 'pglite' });
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
  });

  it('not within a parent, and an unknown POC: field, line and the line quoted', async () => {
    const body = [
      simpleReassignment({ range: '10.0.0.0/29', name: 'A-NET' }),
      personPoc('Nope', 'Kim', 'kim@demo-isp.example', { '01': 'M', '02': 'NOPE99-ARIN' }),
    ].join('\n');
    const { mail: caught, parsed } = await replyFor(
      stack.sink,
      await stack.send(mail({ subject: `DRY-RUN ${DEMO_API_KEY}`, body })),
    );
    const errors = parsed.blocks.flatMap((b) => b.errors);
    expect(errors.map((e) => [e.code, e.field])).toEqual([
      ['E_NOT_WITHIN_PARENT', '03'],
      ['E_OBJECT_NOT_FOUND', '02'],
    ]);
    const text = (await simpleParser(caught.raw)).text ?? '';
    for (const e of errors) {
      expect(e.line).toBeGreaterThan(1);
      const quoted = new RegExp(`^  > ${e.line} \\| (${e.field}\\..*)$`, 'm').exec(text);
      expect(quoted, `${e.code} quoted`).not.toBeNull();
      // The same line in the echo.
      expect(text).toMatch(
        new RegExp(`^> +${e.line} \\| ${quoted![1]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'),
      );
    }
  });
});
