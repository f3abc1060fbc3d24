/** The cheap, pure parts of the ingress: reading a message's head, submission ids, Redis URLs. */
import { describe, expect, it } from 'vitest';
import { newSubmissionId, SUBMISSION_ID_PATTERN } from '../../src/ingress/index.ts';
import { readMessageHead, storableHeaderValue } from '../../src/mail/index.ts';
import { parseRedisUrl, redisOptionsFor } from '../../src/queue/index.ts';

describe('reading the head of a message', () => {
  it('finds Message-ID, the From address and the decoded Subject from the header block alone', async () => {
    const raw = Buffer.from(
      [
        'Received: from mx.isp.example',
        'From: =?utf-8?q?J=C3=BCrgen?= <Juergen@ISP.example>',
        'Subject: =?utf-8?b?TmV0eiBmw7xyIEt1bmRl?=',
        '  API-1111-2222-3333-4444',
        'Message-ID:',
        ' <folded@isp.example>',
        '',
        'Subject: not this one, it is in the body',
        '',
      ].join('\r\n'),
    );
    const head = await readMessageHead(raw, 1_000_000);
    expect(head).toEqual({
      ok: true,
      value: {
        messageId: '<folded@isp.example>',
        fromAddress: 'juergen@isp.example',
        subject: 'Netz für Kunde API-1111-2222-3333-4444',
      },
    });
  });

  it('keeps NUL out of what it reads, and a long non-ASCII Message-ID within what an index holds', async () => {
    const longId = `<${'é'.repeat(950)}@isp.example>`;
    const raw = Buffer.from(
      [
        `From: =?utf-8?B?${Buffer.from('Nul\u0000 Name').toString('base64')}?= <noc@isp.example>`,
        `Subject: =?utf-8?B?${Buffer.from('SWIP \u0000 batch').toString('base64')}?=`,
        `Message-ID: ${longId}`,
        '',
        'body',
      ].join('\r\n'),
    );
    const head = await readMessageHead(raw, 1_000_000);
    if (!head.ok) throw new Error(head.error.message);
    expect(head.value.subject).toBe('SWIP  batch');
    expect(Buffer.byteLength(head.value.messageId)).toBeLessThanOrEqual(998);
    expect(longId.startsWith(head.value.messageId)).toBe(true);
    expect(storableHeaderValue('a\u0000b\ud800c')).toBe('ab\ufffdc');
    // Cut at a character, never inside one.
    expect(storableHeaderValue('ééé', 5)).toBe('éé');
  });

  it('copes with bare LF line ends and a message without Message-ID or From', async () => {
    const head = await readMessageHead(Buffer.from('Subject: hi\n\nbody\n'), 1_000);
    expect(head).toEqual({ ok: true, value: { messageId: '', fromAddress: undefined, subject: 'hi' } });
  });

  it('refuses empty input, text that is not a mail, and what is over the limit', async () => {
    expect(await readMessageHead(Buffer.from('\r\n \r\n'), 100)).toMatchObject({
      ok: false,
      error: { code: 'E_EMPTY_MESSAGE' },
    });
    expect(await readMessageHead(Buffer.from('Dear hostmaster,\n\nplease...'), 100)).toMatchObject({
      ok: false,
      error: { code: 'E_NOT_A_MAIL' },
    });
    expect(await readMessageHead(Buffer.from(`Subject: x\r\n\r\n${'y'.repeat(200)}`), 100)).toMatchObject({
      ok: false,
      error: { code: 'E_MESSAGE_TOO_LARGE' },
    });
  });
});

describe('submission ids', () => {
  it('are S + 26 base32 characters, sort by time, and are valid BullMQ job ids', () => {
    const earlier = newSubmissionId(1_700_000_000_000);
    const later = newSubmissionId(1_700_000_000_001);
    expect(earlier).toMatch(SUBMISSION_ID_PATTERN);
    expect(earlier < later).toBe(true);
    expect(earlier).not.toContain(':');
    expect(Number.isInteger(Number(earlier))).toBe(false);
    expect(new Set(Array.from({ length: 1000 }, () => newSubmissionId())).size).toBe(1000);
  });
});

describe('Redis locations', () => {
  it('turns URLs and sockets into ioredis options', () => {
    expect(parseRedisUrl('redis://:s%40cret@10.0.0.5:6380/2')).toEqual({
      password: 's@cret',
      host: '10.0.0.5',
      port: 6380,
      db: 2,
    });
    expect(parseRedisUrl('rediss://user:pw@redis.example')).toEqual({
      username: 'user',
      password: 'pw',
      host: 'redis.example',
      port: 6379,
      tls: {},
    });
    expect(parseRedisUrl('unix:///run/redis/redis.sock?db=3')).toEqual({
      path: '/run/redis/redis.sock',
      db: 3,
    });
    expect(
      redisOptionsFor({ kind: 'embedded', socketPath: '/data/redis/redis.sock', dir: '/data/redis' }),
    ).toEqual({
      path: '/data/redis/redis.sock',
    });
  });
});
