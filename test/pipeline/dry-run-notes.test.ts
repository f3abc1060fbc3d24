/**
 * A dry run says what a real run would, reading notes included: the fields a REASSIGN-DETAILED
 * with an Org ID skips, a filled Additional Information passed to staff, and the same template
 * standing twice, are noted first in the dry run's block as in the real run's, in both reply
 * styles. A billing system testing with dry runs sees what its real runs will be told.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_API_KEY } from '../../src/registry/index.ts';
import { mail, type Stack, startStack } from '../support/stack.ts';
import { personPoc } from './support/forms.ts';
import { replyFor } from './support/outcomes.ts';

const fixture = fs.readFileSync(
  new URL('../fixtures/mail/reassign-detailed-5.0-org-id-and-details.eml', import.meta.url),
  'utf8',
);
/** The fixture's template alone, the demo key on its line 00. */
const DETAILED = fixture
  .slice(fixture.indexOf('Template:'), fixture.indexOf('END OF TEMPLATE') + 'END OF TEMPLATE'.length)
  .replace(/^00\. API Key:.*$/m, `00. API Key: ${DEMO_API_KEY}`);

describe.each(['digest', 'per-template'] as const)(
  'reading notes in dry runs (pglite, %s replies)',
  (style) => {
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack({ backend: 'pglite', env: { REPLY_STYLE: style } });
    }, 120_000);
    afterAll(async () => {
      await stack?.close();
    });

    const notesOf = async (subject: string, body: string) => {
      const { parsed } = await replyFor(stack.sink, await stack.send(mail({ subject, body })));
      return parsed.blocks[0]!.notes;
    };

    it('the fields skipped for an Org ID: noted in the dry run as in the real run, first', async () => {
      const dry = await notesOf('DRY-RUN detailed', DETAILED);
      expect(dry[0]).toMatch(/^fields 02-08 not read: field 01 \(Downstream Org ID\) is given/);
      expect(dry.at(-1)).toMatch(/^dry run: a real run would /);
      const real = await notesOf('detailed', DETAILED);
      expect(real[0]).toBe(dry[0]);
    });

    it('Additional Information passed to staff, and a template standing twice: noted in the dry run', async () => {
      const poc = personPoc('Addlnote', 'Kim', 'kim@demo-isp.example', { '19': 'please call before noon' });
      const dry = await notesOf(`DRY-RUN contact ${DEMO_API_KEY}`, `${poc}\n\n${poc}`);
      expect(dry[0]).toMatch(
        /^the same template \(the same form, fields and values\) stands again at line \d+ of the message body/,
      );
      expect(dry[1]).toMatch(/^field 19 \(Additional Information, line \d+\) passed to hostmaster staff/);
      expect(dry.at(-1)).toBe(
        'dry run: a real run would apply this template; nothing was changed, no ticket or handle was issued, nobody was notified',
      );
    });
  },
);
