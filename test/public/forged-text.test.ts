/**
 * Stored values that would forge what a reader sees, through the real path: a POC M over SMTP
 * writing Unicode format characters (a right-to-left override, an isolate, a zero-width space)
 * into its company and comments, then Debian's `whois`. A terminal lays the line out as those
 * characters say, so `Comment: ...\u202e` shows its reader text in an order nobody wrote; they
 * are shown as `\uXXXX`, as control characters are. RDAP keeps them: JSON gives the exact value.
 * And an API key pasted into a stored value is published by neither (the registry stores it
 * redacted).
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables } from '../../src/db/index.ts';
import { OTHER_API_KEY, OTHER_SENDER } from '../../src/registry/index.ts';
import { fillForm } from '../pipeline/support/forms.ts';
import { submit } from '../pipeline/support/session.ts';
import { type Stack, startStack } from '../support/stack.ts';
import { rdapClient, whois, whoisValues } from './support/clients.ts';

describe('values that would forge what a WHOIS reader sees', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ backend: 'pglite' });
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
  });

  it('shows Unicode format characters of a stored value as \\uXXXX', async () => {
    const comment = 'Abuse: abuse@other.example \u202e moc.live@esuba \u202c (reversed)';
    const sent = await submit(
      stack,
      [
        fillForm('ARIN-POC-5.1', {
          '01': 'M',
          '02': 'OTHER1-ARIN',
          // Inside the value: at its ends, characters that render as nothing are trimmed as spaces are.
          '07': 'Other\u2066 IS\u200bP\u2069 Inc',
          '18': [comment],
        }),
      ],
      {
        subject: `POC ${OTHER_API_KEY}`,
        from: `Other ISP NOC <${OTHER_SENDER}>`,
        envelopeFrom: OTHER_SENDER,
      },
    );
    // Bidirectional controls are refused in a template's values now (E_CONTROL_CHARACTER); a value
    // stored before that rule (or by a seed) is still shown escaped, never as it would render.
    expect(sent.reply.parsed.blocks[0]?.status).toBe('REJECTED');
    expect(sent.reply.parsed.blocks[0]?.errors.map((e) => e.code)).toContain('E_CONTROL_CHARACTER');
    await stack.database.db
      .update(tables.pocs)
      .set({ company: 'Other\u2066 IS\u200bP\u2069 Inc', publicComments: [comment] })
      .where(eq(tables.pocs.handle, 'OTHER1-ARIN'));

    const text = await whois(stack.daemon.whoisPort!, 'p OTHER1-ARIN');
    expect(text).not.toMatch(/[\u200b\u202c\u202e\u2066\u2069]/);
    expect(whoisValues(text, 'Company')).toEqual(['Other\\u2066 IS\\u200bP\\u2069 Inc']);
    expect(whoisValues(text, 'Comment')).toEqual([
      'Abuse: abuse@other.example \\u202e moc.live@esuba \\u202c (reversed)',
    ]);
    // RDAP's JSON carries the value as stored.
    const entity = await rdapClient(stack.daemon.rdapPort!).entity('OTHER1-ARIN');
    expect(entity['remarks']).toEqual([{ title: 'Comments', description: [comment] }]);
  }, 120_000);

  it("publishes no API key written into a stored value (a key pasted into a POC's comment)", async () => {
    const bare = OTHER_API_KEY.replace(/^API-/, '');
    const sent = await submit(
      stack,
      [
        fillForm('ARIN-POC-5.1', {
          '01': 'M',
          '02': 'OTHER1-ARIN',
          '18': [
            `Billing asked us to note our key ${OTHER_API_KEY} here`,
            `and again: api ${bare.toLowerCase()}`,
          ],
        }),
      ],
      {
        subject: `POC ${OTHER_API_KEY}`,
        from: `Other ISP NOC <${OTHER_SENDER}>`,
        envelopeFrom: OTHER_SENDER,
      },
    );
    expect(sent.reply.parsed.blocks[0]?.status).toBe('APPROVED');
    const groups = bare.split('-');
    const secret = new RegExp(groups.slice(0, 3).join('-?'), 'i');
    const answers = [
      await whois(stack.daemon.whoisPort!, 'p OTHER1-ARIN'),
      await whois(stack.daemon.whoisPort!, 'o + OTHERISP-1'),
      JSON.stringify(await rdapClient(stack.daemon.rdapPort!).entity('OTHER1-ARIN')),
    ];
    for (const answer of answers) expect(answer).not.toMatch(secret);
  }, 120_000);
});
