/**
 * The per-recipient reply count, on a real redis-server, from several connections at once (as
 * several worker processes would): exactly the limit gets through, a mail asked about again is
 * not counted twice, and every spelling of one mailbox is one recipient.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecipientReplyLimit } from '../../src/replies/index.ts';
import { type RedisServer, startRedis } from '../support/redis-server.ts';

describe('RecipientReplyLimit (real Redis)', () => {
  let redis: RedisServer;
  const clients: Redis[] = [];
  beforeAll(async () => {
    redis = await startRedis();
    for (let i = 0; i < 4; i++) clients.push(new Redis(redis.url));
  });
  afterAll(async () => {
    for (const client of clients) client.disconnect();
    await redis?.stop();
  });

  it('lets exactly the limit through when four processes race for one recipient', async () => {
    const limits = clients.map((c) => new RecipientReplyLimit(c, 20));
    const now = Date.UTC(2026, 11, 7, 10, 0, 0);
    const verdicts = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        limits[i % limits.length]!.admit('victim@victim.example', `<S${i}.reply@registry.example>`, now),
      ),
    );
    expect(verdicts.filter((v) => v.admitted)).toHaveLength(20);
    const refused = verdicts.find((v) => !v.admitted);
    expect(refused).toMatchObject({ admitted: false, recipient: 'victim@victim.example', count: 20 });
  });

  it('counts a mail asked about again (a retried job) once', async () => {
    const limit = new RecipientReplyLimit(clients[0]!, 2);
    const now = Date.UTC(2026, 11, 7, 11, 0, 0);
    for (let i = 0; i < 5; i++) {
      expect(await limit.admit('jane@isp.example', '<S1.reply@registry.example>', now)).toEqual({
        admitted: true,
      });
    }
    expect(await limit.admit('jane@isp.example', '<S2.reply@registry.example>', now)).toEqual({
      admitted: true,
    });
    expect((await limit.admit('jane@isp.example', '<S3.reply@registry.example>', now)).admitted).toBe(false);
    // Already counted, so still admitted when sent again after the limit was reached.
    expect(await limit.admit('jane@isp.example', '<S1.reply@registry.example>', now)).toEqual({
      admitted: true,
    });
  });

  it('counts every spelling of one mailbox (case, +tags, dots) as that mailbox', async () => {
    const limit = new RecipientReplyLimit(clients[1]!, 3);
    const now = Date.UTC(2026, 11, 7, 12, 0, 0);
    const spellings = [
      'Third@Victim.example',
      'third+1@victim.example',
      'th.ird+2@VICTIM.EXAMPLE',
      'third+3@victim.example',
    ];
    const verdicts = [];
    for (const [i, to] of spellings.entries())
      verdicts.push(await limit.admit(to, `<S${i}.x@r.example>`, now));
    expect(verdicts.map((v) => v.admitted)).toEqual([true, true, true, false]);
  });

  it('slides: the previous hour weighs as much of it as still lies in the last hour', async () => {
    const limit = new RecipientReplyLimit(clients[2]!, 4);
    const hour = Date.UTC(2026, 11, 7, 13, 0, 0);
    for (let i = 0; i < 4; i++)
      expect((await limit.admit('ops@isp.example', `<A${i}@r>`, hour + 1_000)).admitted).toBe(true);
    // A quarter into the next hour, the four weigh three: one more fits, then none.
    const later = hour + 3_600_000 + 900_000;
    expect((await limit.admit('ops@isp.example', '<B0@r>', later)).admitted).toBe(true);
    expect((await limit.admit('ops@isp.example', '<B1@r>', later)).admitted).toBe(false);
  });
});
