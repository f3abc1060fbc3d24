/**
 * Composing replies: what a billing system receives after sending templates, in both styles,
 * and what someone whose message was refused as a whole is told. No I/O past loading the texts.
 */
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import {
  type ComposeOptions,
  composeOptionsFor,
  composeReplies,
  loadReplyTexts,
  type OutgoingMail,
  type ReplyRequest,
} from '../../src/replies/index.ts';
import { type ErrorCode, redactApiKeys } from '../../src/shared/index.ts';
import { type ParsedReply, parseReply } from '../support/reply-reader.ts';
import {
  approvedNet,
  digestOptions,
  KEY,
  pendingNet,
  REDACTED_KEY,
  rejectedNet,
  threeTemplates,
} from './support/reports.ts';

const texts = loadReplyTexts();
const digest = digestOptions(texts);
const perTemplate: ComposeOptions = { ...digest, style: 'per-template' };

async function parsed(mail: OutgoingMail): Promise<ParsedReply> {
  const result = await parseReply(mail.raw);
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

async function bodyOf(mail: OutgoingMail): Promise<string> {
  return (await simpleParser(mail.raw)).text ?? '';
}

async function compose(request: ReplyRequest, options = digest): Promise<OutgoingMail[]> {
  return composeReplies(request, options);
}

describe('a digest reply to three templates, one approved, one rejected, one held for review', () => {
  it('is one mail to the Reply-To or From address, from the null sender', async () => {
    const mails = await compose(threeTemplates());
    expect(mails).toHaveLength(1);
    const [mail] = mails as [OutgoingMail];
    expect(mail.kind).toBe('reply');
    expect(mail.envelopeFrom).toBe('');
    expect(mail.recipients).toEqual(['billing@isp.example']);
    expect(mail.messageId).toBe('<S123.reply@registry.example>');
  });

  it('threads under the original and says it is automatic', async () => {
    const [mail] = (await compose(threeTemplates())) as [OutgoingMail];
    const reply = await parsed(mail);
    expect(reply.headers).toMatchObject({
      messageId: '<S123.reply@registry.example>',
      inReplyTo: '<billing-42@isp.example>',
      references: ['<thread-1@isp.example>', '<billing-42@isp.example>'],
      subject: 'Re: SWIP batch 42',
      autoSubmitted: 'auto-replied',
      status: 'REJECTED',
      submissionId: 'S123',
    });
  });

  it('starts with the summary, then one block per template in the fixed shape', async () => {
    const [mail] = (await compose(threeTemplates())) as [OutgoingMail];
    const body = await bodyOf(mail);
    expect(body.split('\n')[0]).toBe(
      'hostmasterd processed 3 templates: 1 APPROVED, 1 PENDING_REVIEW, 1 REJECTED.',
    );
    expect(body).toContain(
      [
        'Template 1 of 3: ARIN-REASSIGN-SIMPLE-5.0',
        'Ticket: 20261122-X0000041',
        'Status: APPROVED',
        'Handle: NET-198-51-100-0-1',
        'Handle: C00000001',
        'Note: network NET-198-51-100-0-1 registered for customer C00000001',
        '',
      ].join('\n'),
    );
    expect(body).toContain(
      [
        'Template 2 of 3: ARIN-REASSIGN-SIMPLE-5.0',
        'Ticket: 20261122-X0000042',
        'Status: REJECTED',
        'Error: E_NOT_WITHIN_PARENT field 03 line 5: 203.0.113.0/29 is not inside a network your organization holds',
        '',
      ].join('\n'),
    );
    const reply = await parsed(mail);
    expect(reply.status).toBe('REJECTED');
    expect(reply.blocks.map((b) => [b.index, b.total, b.status, b.ticket])).toEqual([
      [1, 3, 'APPROVED', '20261122-X0000041'],
      [2, 3, 'REJECTED', '20261122-X0000042'],
      [3, 3, 'PENDING_REVIEW', '20261122-X0000043'],
    ]);
  });

  it('quotes each submitted template with ">" under its block, lines numbered, key redacted', async () => {
    const [mail] = (await compose(threeTemplates())) as [OutgoingMail];
    const body = await bodyOf(mail);
    const lines = body.split('\n');
    const heading = lines.indexOf('Template 2 as we received it (API key redacted):');
    expect(lines.slice(heading + 1, heading + 4).map((l) => l.replace(/^> +/, '> '))).toEqual([
      '> 1 | Template: ARIN-REASSIGN-SIMPLE-5.0',
      `> 2 | 00. API Key: ${REDACTED_KEY}`,
      '> 3 | 01. Registration Action: N',
    ]);
    // No unquoted "Template:" line: replying to our reply must never resubmit the templates.
    expect(body.split('\n').filter((l) => l.startsWith('Template:'))).toEqual([]);
  });

  it('quotes a runaway template in part: a long line cut, the lines past the limit counted, a key across the cut still hidden', async () => {
    const [first, ...others] = threeTemplates().templates;
    const runaway = [
      'Template: ARIN-REASSIGN-SIMPLE-5.0',
      `09. Public Comments: ${'x'.repeat(974)}${KEY} and 5,000,000 characters more`,
      ...Array.from({ length: 700 }, (_, i) => `** pasted log line ${i}`),
      '',
      '',
    ].join('\n');
    const request = { ...threeTemplates(), templates: [{ ...first!, echo: runaway }, ...others] };
    const [mail] = (await compose(request)) as [OutgoingMail];
    const body = await bodyOf(mail);
    const quoted = body.split('\n').filter((l) => l.startsWith('>'));
    const long = quoted.find((l) => l.startsWith('>   2 | 09.'))!;
    expect(long).toMatch(/^> {3}2 \| 09\. Public Comments: x{974}API-\* \[\d+ more characters not shown\]$/);
    expect(body).not.toContain(KEY.slice(0, 9));
    expect(quoted).toContain('> 500 | ** pasted log line 497');
    expect(quoted.some((l) => l.endsWith('pasted log line 498'))).toBe(false);
    expect(quoted).toContain('> [202 more lines not shown]');
    // The reply parser still reads every block.
    expect((await parsed(mail)).blocks).toHaveLength(3);
  });

  it('quotes a body of many blank lines in linear time (no regex anchored only at its end)', async () => {
    const [first, ...others] = threeTemplates().templates;
    const timeFor = async (echo: string) => {
      const request = { ...threeTemplates(), templates: [{ ...first!, echo }, ...others] };
      const started = performance.now();
      await compose(request);
      return performance.now() - started;
    };
    const size = 400_000;
    await timeFor('warm up\n'.repeat(10));
    // The same number of characters: ordinary text against blank lines with one character after.
    const ordinary = await timeFor(`${'a'.repeat(size - 1)}\n`);
    const blank = await timeFor(`${'\n'.repeat(size)}x`);
    expect(blank).toBeLessThan(Math.max(ordinary, 5) * 20);
  });

  it('explains what REJECTED and PENDING_REVIEW mean and reminds that templates are plain text', async () => {
    const body = await bodyOf(((await compose(threeTemplates())) as [OutgoingMail])[0]);
    expect(body).toContain(texts.prose.pendingReview);
    expect(body).toContain(texts.prose.plainTextReminder);
    const allApproved = await bodyOf(
      ((await compose(threeTemplates({ templates: [{ ...approvedNet, total: 1 }] }))) as [OutgoingMail])[0],
    );
    expect(allApproved.split('\n')[0]).toBe('hostmasterd processed 1 template: 1 APPROVED.');
    expect(allApproved).not.toContain(texts.prose.plainTextReminder);
  });

  it('puts blocks in template order whatever order the worker listed them in', async () => {
    const [mail] = (await compose(threeTemplates({ templates: [pendingNet, approvedNet, rejectedNet] }))) as [
      OutgoingMail,
    ];
    expect((await parsed(mail)).blocks.map((b) => b.index)).toEqual([1, 2, 3]);
  });

  it('carries the worst status of the message in X-Hostmaster-Status', async () => {
    const status = async (templates: ReplyRequest['templates']) =>
      (await parsed(((await compose(threeTemplates({ templates }))) as [OutgoingMail])[0])).headers?.status;
    expect(await status([approvedNet])).toBe('APPROVED');
    expect(await status([approvedNet, pendingNet])).toBe('PENDING_REVIEW');
    expect(await status([approvedNet, pendingNet, rejectedNet])).toBe('REJECTED');
  });
});

describe('per-template replies, the way the registry processor answered', () => {
  it('sends one mail per template, subject suffixed with its status, ids numbered by template', async () => {
    const mails = await compose(threeTemplates(), perTemplate);
    expect(mails.map((m) => m.messageId)).toEqual([
      '<S123.reply.1@registry.example>',
      '<S123.reply.2@registry.example>',
      '<S123.reply.3@registry.example>',
    ]);
    const replies = await Promise.all(mails.map(parsed));
    expect(replies.map((r) => r.headers?.subject)).toEqual([
      'Re: SWIP batch 42 --APPROVED',
      'Re: SWIP batch 42 --REJECTED',
      'Re: SWIP batch 42 --PENDING_REVIEW',
    ]);
    expect(replies.map((r) => r.headers?.status)).toEqual(['APPROVED', 'REJECTED', 'PENDING_REVIEW']);
    expect(replies.map((r) => r.summary)).toEqual([
      'hostmasterd processed template 1 of 3: APPROVED.',
      'hostmasterd processed template 2 of 3: REJECTED.',
      'hostmasterd processed template 3 of 3: PENDING_REVIEW.',
    ]);
    for (const reply of replies) {
      expect(reply.blocks).toHaveLength(1);
      expect(reply.headers).toMatchObject({
        autoSubmitted: 'auto-replied',
        inReplyTo: '<billing-42@isp.example>',
      });
    }
    expect(replies[1]?.blocks[0]?.errors[0]?.code).toBe('E_NOT_WITHIN_PARENT');
  });

  it('carries the same block words as the digest', async () => {
    const [single] = (await compose(threeTemplates({ templates: [rejectedNet] }), perTemplate)) as [
      OutgoingMail,
    ];
    const [whole] = (await compose(threeTemplates({ templates: [rejectedNet] }))) as [OutgoingMail];
    expect((await parsed(single)).blocks).toEqual((await parsed(whole)).blocks);
  });

  it('does not stack "Re:" or status suffixes when answering a reply to a reply', async () => {
    const mails = await compose(
      threeTemplates({ originalSubject: 'RE: Re: SWIP batch 42 --REJECTED', templates: [approvedNet] }),
      perTemplate,
    );
    expect((await parsed(mails[0]!)).headers?.subject).toBe('Re: SWIP batch 42 --APPROVED');
  });
});

describe('a message refused as a whole', () => {
  const refused = (code: ErrorCode, message: string): ReplyRequest =>
    threeTemplates({ templates: [], refusal: { code, message } });

  it('no template: says why and how to get blank forms', async () => {
    const mails = await compose(refused('E_NO_TEMPLATE', 'no template was found in this message'));
    expect(mails).toHaveLength(1);
    const body = await bodyOf(mails[0]!);
    expect(body.split('\n').slice(0, 3)).toEqual([
      'hostmasterd refused your message: E_NO_TEMPLATE.',
      'Submission: S123',
      'Refused: E_NO_TEMPLATE: no template was found in this message',
    ]);
    expect(body).toContain(texts.prose.blankForms);
    expect(body).toContain(texts.prose.plainTextReminder);
    const reply = await parsed(mails[0]!);
    expect(reply).toMatchObject({
      status: 'REJECTED',
      submissionId: 'S123',
      refusal: { code: 'E_NO_TEMPLATE', message: 'no template was found in this message' },
      blocks: [],
    });
    expect(reply.headers?.status).toBe('REJECTED');
  });

  it('HTML-only mail: reminds that templates must be plain text', async () => {
    const body = await bodyOf(
      (await compose(refused('E_HTML_ONLY', 'the message has only an HTML part')))[0]!,
    );
    expect(body).toContain('Templates are best sent as plain text');
    expect(body).toContain(texts.prose.blankForms);
  });

  it('the reminder on every refusal does not contradict what we do: HTML-only mail is read', async () => {
    const body = await bodyOf((await compose(refused('E_NO_TEMPLATE', 'no template was found')))[0]!);
    expect(body).toContain('We read HTML-only mail too');
    expect(body).not.toMatch(/not processed|cannot be read/);
  });

  it('too many templates: says to split them, and no template is echoed', async () => {
    const body = await bodyOf(
      (await compose(refused('E_TOO_MANY_TEMPLATES', 'this message holds 11 templates; at most 10')))[0]!,
    );
    expect(body).toContain(texts.refusals['E_TOO_MANY_TEMPLATES']);
    expect(body).not.toContain('> Template:');
  });

  it('a code without its own text gets the general explanation', async () => {
    const body = await bodyOf((await compose(refused('E_BAD_MIME', 'a reason')))[0]!);
    expect(body).toContain('Refused: E_BAD_MIME: a reason');
    expect(body).toContain('Nothing in your message was processed');
  });

  it('is one reply in per-template style too, subject marked --REJECTED', async () => {
    const mails = await compose(refused('E_UNKNOWN_SENDER', 'no API key and an unknown sender'), perTemplate);
    expect(mails.map((m) => m.messageId)).toEqual(['<S123.reply@registry.example>']);
    expect((await parsed(mails[0]!)).headers?.subject).toBe('Re: SWIP batch 42 --REJECTED');
  });

  it('answers a message without a subject by its submission id', async () => {
    const mails = await compose({ ...refused('E_NO_TEMPLATE', 'none'), originalSubject: undefined });
    expect((await parsed(mails[0]!)).headers?.subject).toBe('Re: your message S123');
  });
});

describe('stable Message-IDs', () => {
  it('composing the same submission again gives the same ids, and the same bytes for the same date', async () => {
    const first = await compose(threeTemplates(), perTemplate);
    const again = await compose(threeTemplates(), perTemplate);
    expect(again).toEqual(first);
    const later = await compose(threeTemplates(), { ...perTemplate, date: new Date('2026-11-23T00:00:00Z') });
    expect(later.map((m) => m.messageId)).toEqual(first.map((m) => m.messageId));
  });

  it('a later answer to the same submission (staff reprocess) is tagged, so it is not taken for a resend', async () => {
    const first = await compose(threeTemplates(), perTemplate);
    const later = await compose(threeTemplates(), { ...perTemplate, tag: 'reprocess.t2.1' });
    expect(later.map((m) => m.messageId)).toEqual([
      '<S123.reply.reprocess.t2.1.1@registry.example>',
      '<S123.reply.reprocess.t2.1.2@registry.example>',
      '<S123.reply.reprocess.t2.1.3@registry.example>',
    ]);
    expect(later.some((m) => first.some((f) => f.messageId === m.messageId))).toBe(false);
    const [digestLater] = await compose(threeTemplates(), { ...digest, tag: 'override:7' });
    expect(digestLater?.messageId).toBe('<S123.reply.override-7@registry.example>');
  });

  it('keeps odd characters in a submission id out of the Message-ID syntax', async () => {
    const [mail] = await compose(threeTemplates({ submissionId: 'S 1<2>@x' }));
    expect(mail?.messageId).toBe('<S-1-2--x.reply@registry.example>');
  });
});

describe('API keys never leave in a reply', () => {
  const longKey = 'API-0123-4567-89AB-CDEF-0123-4567-89AB-FEDC';
  const leaky: ReplyRequest = threeTemplates({
    originalSubject: `SWIP ${KEY}`,
    templates: [
      {
        ...rejectedNet,
        form: `ARIN-REASSIGN-SIMPLE-5.0 ${KEY}`,
        errors: [{ code: 'E_INVALID_API_KEY', field: '00', message: `the key ${longKey} is not known` }],
        notes: [`sent with ${KEY}`, 'typo key API-12x4-nope'],
        handles: { odd: KEY },
        echo: rejectedNet.echo.replace(REDACTED_KEY, KEY),
      },
    ],
  });

  for (const options of [digest, perTemplate]) {
    it(`in ${options.style} style: not in the headers, the body, or the quoted template`, async () => {
      const mails = await compose(leaky, options);
      for (const mail of mails) {
        // Undo quoted-printable soft breaks, so a key split over two lines is caught too.
        const flat = mail.raw.replace(/=\r\n/g, '');
        const text = await bodyOf(mail);
        for (const secret of [KEY, longKey, '0123-4567-89AB', 'API-12x4-nope']) {
          expect(flat).not.toContain(secret);
          expect(text).not.toContain(secret);
        }
        expect(
          text.split('\n').some((l) => /^> +\d+ \| /.test(l) && l.endsWith(`00. API Key: ${REDACTED_KEY}`)),
        ).toBe(true);
        expect((await parsed(mail)).headers?.subject).toContain(REDACTED_KEY);
      }
    });
  }
});

describe('options from the configuration', () => {
  it('take style and From from the config, and the Message-ID domain from REPLY_FROM', async () => {
    const config = loadConfig({
      REPLY_FROM: 'Registry Hostmaster <hostmaster@registry.example>',
      REPLY_STYLE: 'per-template',
    });
    const options = composeOptionsFor(config, texts);
    expect(options).toMatchObject({ style: 'per-template', hostname: 'registry.example' });
    const mails = await composeReplies(threeTemplates(), options);
    expect(mails.map((m) => m.messageId)[0]).toBe('<S123.reply.1@registry.example>');
  });
});

describe('redaction on its own', () => {
  it('keeps the last group of a key, hides key-like typos whole, and is idempotent', () => {
    const text = `key ${KEY}, glued x${KEY}y, long API-0123-4567-89ab-cdef-0123-4567-89ab-fedc, typo API-12x4-nope`;
    const once = redactApiKeys(text);
    expect(once).toBe(
      'key API-****-****-****-CDEF, glued xAPI-****-****-****-CDEFy, long API-****-****-****-****-****-****-****-FEDC, typo [redacted]',
    );
    expect(redactApiKeys(once)).toBe(once);
  });
});

describe('templates someone else wrote, not applied (Not-applied lines)', () => {
  const notApplied = [
    {
      code: 'E_FORWARDED_TEMPLATE' as ErrorCode,
      message: `template ARIN-POC-5.1 at line 30 of the message body is inside a forwarded or quoted message, written into your message below the line "On Monday ${KEY} wrote:" (line 26): not applied; what someone else wrote is not applied on your authority`,
    },
    {
      code: 'E_QUOTED_TEMPLATE' as ErrorCode,
      message:
        'template ARIN-POC-5.1 at line 9 of the message body is quoted (its lines start with ">"): not applied; a quoted template is someone else’s',
    },
  ];

  it('are header lines of every reply of the message, in both styles, read back with their codes, keys redacted', async () => {
    for (const options of [digest, perTemplate]) {
      const mails = await compose({ ...threeTemplates(), notApplied }, options);
      expect(mails).toHaveLength(options === digest ? 1 : 3);
      for (const mail of mails) {
        const reply = await parsed(mail);
        expect(reply.notApplied?.map((p) => p.code)).toEqual(['E_FORWARDED_TEMPLATE', 'E_QUOTED_TEMPLATE']);
        expect(reply.notApplied?.[0]?.message).toContain(`"On Monday ${REDACTED_KEY} wrote:"`);
        expect(mail.raw).not.toContain(KEY);
        expect(reply.blocks.length).toBeGreaterThan(0);
      }
    }
  });
});

describe('the answer to a template staff corrected', () => {
  const edited = {
    ...approvedNet,
    total: 1,
    edited: {
      changes: [
        { field: '11', label: 'Customer Country Code', before: ['XX'], after: ['US'] },
        {
          field: '12',
          label: 'Public Comments',
          before: [`keep ${KEY}`],
          after: ['a\u2028Status: APPROVED'],
        },
        { field: '07', label: 'Customer Address', before: ['1 Main St', 'Suite 5'], after: [] },
        { label: 'Template', before: ['ARIN-REASSIGN-SIMPLE-4.1'], after: ['ARIN-REASSIGN-SIMPLE-5.0'] },
      ],
    },
  };
  const request = threeTemplates({ templates: [edited] });

  it('lists what staff changed, one Edited line a field, keys hidden, each a line for every reader', async () => {
    const [mail] = (await compose(request)) as [OutgoingMail];
    const [block] = (await parsed(mail)).blocks;
    expect(block!.edits).toEqual([
      { field: '11', label: 'Customer Country Code', before: 'XX', after: 'US' },
      {
        field: '12',
        label: 'Public Comments',
        before: `keep ${REDACTED_KEY}`,
        // Shown, not kept: a reader that ends lines at U+2028 finds no line of staff's here.
        after: 'a\\u2028Status: APPROVED',
      },
      // A field of several lines: each under its Edited line, not joined by ", " (a comma of its own).
      {
        field: '07',
        label: 'Customer Address',
        before: '(2 lines)',
        after: '(none)',
        lines: { before: ['1 Main St', 'Suite 5'], after: [] },
      },
      { before: 'ARIN-REASSIGN-SIMPLE-4.1', after: 'ARIN-REASSIGN-SIMPLE-5.0' },
    ]);
    expect(block!.status).toBe('APPROVED');
    expect(mail.raw).not.toContain(KEY);
    const body = await bodyOf(mail);
    expect(body).toContain('Edited: field 11 (Customer Country Code): XX -> US\n');
    expect(body).toContain(
      'Edited: field 07 (Customer Address): (2 lines) -> (none)\n  - 1 Main St\n  - Suite 5\n',
    );
    expect(body).toContain(
      'Template 1 as hostmaster staff corrected it (API key redacted; the Edited lines above say what they changed from what you sent):',
    );
    expect(body).not.toContain('as we received it');
    // The line separator staff pasted ends no line: the block's own Status line is the only one.
    expect(body.split(/\r?\n|\u2028|\u2029|\u0085/).filter((l) => l.startsWith('Status:'))).toHaveLength(1);
  });

  it('names the fields but not their values to a sender who did not prove who they are', async () => {
    const [mail] = (await compose({ ...request, withoutOriginalText: true })) as [OutgoingMail];
    const [block] = (await parsed(mail)).blocks;
    expect(block!.edits?.map((e) => [e.field, e.before, e.after])).toEqual([
      ['11', '(not shown)', '(not shown)'],
      ['12', '(not shown)', '(not shown)'],
      ['07', '(not shown)', '(not shown)'],
      [undefined, '(not shown)', '(not shown)'],
    ]);
    expect(await bodyOf(mail)).not.toContain('> 1 |');
  });
});
