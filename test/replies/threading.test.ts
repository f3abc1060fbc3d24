/**
 * A reply threads under the message it answers (In-Reply-To, References), but a billing system
 * that builds its Message-IDs from its API key must not get the key back in our headers.
 */
import { describe, expect, it } from 'vitest';
import { composeReplies, loadReplyTexts, threadingFields } from '../../src/replies/index.ts';
import { composeValidationAnswer } from '../../src/validation/index.ts';
import { parseReply } from '../support/reply-reader.ts';
import { FIXED_DATE, KEY, threeTemplates } from './support/reports.ts';

const options = {
  style: 'digest' as const,
  from: 'Hostmaster <hostmaster@registry.example>',
  hostname: 'registry.example',
  texts: loadReplyTexts(),
  date: FIXED_DATE,
};

async function threadingOf(originalMessageId: string, originalReferences: string[]) {
  const [mail] = await composeReplies(threeTemplates({ originalMessageId, originalReferences }), options);
  const reply = await parseReply(mail!.raw);
  if (!reply.ok) throw new Error(reply.error.message);
  return {
    raw: mail!.raw,
    inReplyTo: reply.value.headers?.inReplyTo,
    references: reply.value.headers?.references,
  };
}

describe('threading headers', () => {
  it('a Message-ID holding a key is left out of In-Reply-To and References; the rest of the thread stays', async () => {
    const { raw, inReplyTo, references } = await threadingOf(`<${KEY}.42@billing.isp.example>`, [
      '<thread-1@isp.example>',
      `<${KEY.toLowerCase()}-7@billing.isp.example>`,
      '<API-12x4-typo@billing.isp.example>',
      '<thread-2@isp.example>',
    ]);
    expect(raw.toUpperCase()).not.toContain(KEY);
    // Not even redacted: no header of the reply names the ids at all.
    expect(raw.split('\r\n\r\n')[0]).not.toMatch(/API-|billing\.isp\.example/i);
    expect(inReplyTo).toBeUndefined();
    expect(references).toEqual(['<thread-1@isp.example>', '<thread-2@isp.example>']);
  });

  it('ids without a key thread as before', async () => {
    const { inReplyTo, references } = await threadingOf('<billing-42@isp.example>', [
      '<thread-1@isp.example>',
    ]);
    expect(inReplyTo).toBe('<billing-42@isp.example>');
    expect(references).toEqual(['<thread-1@isp.example>', '<billing-42@isp.example>']);
  });

  it('one rule for both fields: an id we cannot write (non-ASCII, a comment-free id with spaces) is in neither, a comment is no part of the id', () => {
    expect(
      threadingFields('<\u00e9t\u00e9@isp.example>', ['<\u00e9t\u00e9@isp.example>', '<t1@isp.example>']),
    ).toEqual({
      references: ['<t1@isp.example>'],
    });
    expect(threadingFields('<b-42@isp.example> (Billing 4.2)>', ['<t1@isp.example>'])).toEqual({
      inReplyTo: '<b-42@isp.example>',
      references: ['<t1@isp.example>', '<b-42@isp.example>'],
    });
    // As the console keeps a submission's id: without its brackets.
    expect(threadingFields('b-42@isp.example')).toEqual({
      inReplyTo: '<b-42@isp.example>',
      references: ['<b-42@isp.example>'],
    });
    expect(threadingFields('(only a comment)')).toEqual({});
  });

  it('the validation answer threads by the same rule: a non-ASCII id is left out, a comment dropped', () => {
    const answer = (inReplyTo: string) =>
      composeValidationAnswer({
        submissionId: 'S1',
        to: 'poc@isp.example',
        messageId: '<S1.reply@registry.example>',
        inReplyTo,
        handle: 'DEMO1-ARIN',
        outcome: { validated: true, validUntil: FIXED_DATE },
        from: 'Hostmaster <hostmaster@registry.example>',
        date: FIXED_DATE,
      }).split('\r\n\r\n', 1)[0]!;
    const threadLines = (head: string) =>
      head.split('\r\n').filter((l) => /^(In-Reply-To|References):/.test(l));
    expect(threadLines(answer('<v-\u00fc@isp.example>'))).toEqual([]);
    expect(answer('<v-\u00fc@isp.example>')).toMatch(/^[\t\r\n\x20-\x7e]*$/);
    expect(threadLines(answer('<v-1@isp.example> (sent by a client)'))).toEqual([
      'In-Reply-To: <v-1@isp.example>',
      'References: <v-1@isp.example>',
    ]);
  });
});
