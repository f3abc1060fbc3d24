/**
 * The per-sender hourly limit against a real redis-server: a message is counted when it is
 * reserved, a reservation whose message was not accepted is given back, and messages arriving
 * together cannot all slip under the limit. Times are passed in, so the hour is ours to choose.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RateDecision, SenderRate } from '../../src/ingress/sender-rate.ts';
import { type RedisServer, startRedis } from '../support/redis-server.ts';

const HOUR = 3_600_000;
/** An hour boundary far from "now", so these counts never meet the other tests'. */
const T0 = 1_000 * HOUR;

describe('sender rate in Redis', () => {
  let server: RedisServer;
  let redis: Redis;

  beforeAll(async () => {
    server = await startRedis();
    redis = new Redis(server.url);
  });
  afterAll(async () => {
    redis?.disconnect();
    await server?.stop();
  });

  const allowed = (decision: RateDecision) => decision.allowed;

  it('refuses the (N+1)th message of the hour, naming the sender, and counts only the N', async () => {
    const rate = new SenderRate(redis, 3);
    const sender = 'first@isp.example';
    for (let i = 0; i < 3; i++) expect(allowed(await rate.reserve([sender], T0 + i))).toBe(true);
    const refused = await rate.reserve([sender], T0 + 10);
    expect(refused).toEqual({ allowed: false, verdict: { sender, count: 3 } });
    // A refusal counts nothing: still refused with 3, not 4.
    expect(await rate.overLimit([sender], T0 + 11)).toEqual({ sender, count: 3 });
    expect(await rate.overLimit(['someone-else@isp.example'], T0 + 11)).toBeUndefined();
  });

  it('gives back the count of a message that was not accepted after all', async () => {
    const rate = new SenderRate(redis, 2);
    const sender = 'given-back@isp.example';
    const first = await rate.reserve([sender], T0);
    const second = await rate.reserve([sender], T0 + 1);
    expect(allowed(first) && allowed(second)).toBe(true);
    if (!second.allowed) throw new Error('unreachable');
    // The database was down for the second message: the sender answered 451 gets its count back.
    await rate.release(second.reservation);
    expect(await rate.overLimit([sender], T0 + 2)).toBeUndefined();
    expect(allowed(await rate.reserve([sender], T0 + 3))).toBe(true);
    expect(allowed(await rate.reserve([sender], T0 + 4))).toBe(false);
  });

  it('checks the envelope and header senders together, and counts the message for both', async () => {
    const rate = new SenderRate(redis, 1);
    const senders = ['Relay@Forwarder.example', 'both@isp.example'];
    expect(allowed(await rate.reserve(senders, T0))).toBe(true);
    expect(await rate.overLimit(['relay@forwarder.example'], T0 + 1)).toEqual({
      sender: 'relay@forwarder.example',
      count: 1,
    });
    expect(await rate.overLimit(['both@isp.example'], T0 + 1)).toEqual({
      sender: 'both@isp.example',
      count: 1,
    });
  });

  it('lets only the limit through when messages arrive together on many connections', async () => {
    const rate = new SenderRate(redis, 5);
    const sender = 'burst@isp.example';
    const decisions = await Promise.all(Array.from({ length: 30 }, (_, i) => rate.reserve([sender], T0 + i)));
    expect(decisions.filter(allowed)).toHaveLength(5);
  });

  it('weighs the previous hour by how much of it is still inside the last 60 minutes', async () => {
    const rate = new SenderRate(redis, 4);
    const sender = 'sliding@isp.example';
    for (let i = 0; i < 4; i++) expect(allowed(await rate.reserve([sender], T0 + i))).toBe(true);
    // Three quarters into the next hour, the previous hour's 4 weigh 1: three more fit, not four.
    const later = T0 + HOUR + (3 * HOUR) / 4;
    for (let i = 0; i < 3; i++) expect(allowed(await rate.reserve([sender], later))).toBe(true);
    expect(await rate.reserve([sender], later)).toEqual({
      allowed: false,
      verdict: { sender, count: 4 },
    });
  });

  it('remembers, without asking Redis, who was lately found at the limit, until a message of theirs fits again', async () => {
    const rate = new SenderRate(redis, 1);
    const sender = 'remembered@isp.example';
    expect(rate.recentlyOverLimit([sender], T0)).toBe(false);
    const first = await rate.reserve([sender], T0);
    expect(allowed(await rate.reserve([sender], T0 + 1))).toBe(false);
    expect(rate.recentlyOverLimit(['someone@isp.example', 'Remembered@ISP.example'], T0 + 2)).toBe(true);
    if (!first.allowed) throw new Error('unreachable');
    await rate.release(first.reservation);
    expect(allowed(await rate.reserve([sender], T0 + 3))).toBe(true);
    expect(rate.recentlyOverLimit([sender], T0 + 4)).toBe(false);
  });

  it('never takes a count below zero', async () => {
    const rate = new SenderRate(redis, 1);
    const sender = 'released-twice@isp.example';
    const decision = await rate.reserve([sender], T0);
    if (!decision.allowed) throw new Error('unreachable');
    await rate.release(decision.reservation);
    await rate.release(decision.reservation);
    expect(allowed(await rate.reserve([sender], T0 + 1))).toBe(true);
    expect(allowed(await rate.reserve([sender], T0 + 2))).toBe(false);
  });

  it('asks Redis once per message, whatever the number of senders', async () => {
    const rate = new SenderRate(redis, 100);
    await rate.reserve(['warm@isp.example'], T0); // Redis learns the script
    const monitor = await redis.monitor();
    const seen: string[] = [];
    // Commands a script runs inside Redis show with source "lua": they are not round trips.
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      if (!source.includes('lua')) seen.push(String(args[0]).toLowerCase());
    });
    try {
      await rate.reserve(['one@isp.example', 'Two@isp.example', 'one@isp.example'], T0 + 1);
      await redis.ping('done');
      for (let i = 0; i < 100 && !seen.includes('ping'); i++) await new Promise((r) => setTimeout(r, 10));
      expect(seen).toEqual(['evalsha', 'ping']);
    } finally {
      monitor.disconnect();
    }
  });

  it('fails fast when Redis is unreachable, so the ingress can answer 451', async () => {
    const gone = new Redis({
      port: 1,
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
    });
    try {
      await expect(new SenderRate(gone, 5, 500).reserve(['x@isp.example'], T0)).rejects.toThrow();
    } finally {
      gone.disconnect();
    }
  });
});
