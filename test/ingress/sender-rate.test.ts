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
/** The client the messages come from (`clientKey` of the connection). */
const CLIENT = '192.0.2.10';

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
    for (let i = 0; i < 3; i++) expect(allowed(await rate.reserve([sender], CLIENT, T0 + i))).toBe(true);
    const refused = await rate.reserve([sender], CLIENT, T0 + 10);
    expect(refused).toEqual({ allowed: false, verdict: { sender, client: CLIENT, count: 3 } });
    // A refusal counts nothing: still refused with 3, not 4.
    expect(await rate.overLimit([sender], CLIENT, T0 + 11)).toEqual({ sender, client: CLIENT, count: 3 });
    expect(await rate.overLimit(['someone-else@isp.example'], CLIENT, T0 + 11)).toBeUndefined();
  });

  it('gives back the count of a message that was not accepted after all', async () => {
    const rate = new SenderRate(redis, 2);
    const sender = 'given-back@isp.example';
    const first = await rate.reserve([sender], CLIENT, T0);
    const second = await rate.reserve([sender], CLIENT, T0 + 1);
    expect(allowed(first) && allowed(second)).toBe(true);
    if (!second.allowed) throw new Error('unreachable');
    // The database was down for the second message: the sender answered 451 gets its count back.
    await rate.release(second.reservation);
    expect(await rate.overLimit([sender], CLIENT, T0 + 2)).toBeUndefined();
    expect(allowed(await rate.reserve([sender], CLIENT, T0 + 3))).toBe(true);
    expect(allowed(await rate.reserve([sender], CLIENT, T0 + 4))).toBe(false);
  });

  it('checks the envelope and header senders together, and counts the message for both', async () => {
    const rate = new SenderRate(redis, 1);
    const senders = ['Relay@Forwarder.example', 'both@isp.example'];
    expect(allowed(await rate.reserve(senders, CLIENT, T0))).toBe(true);
    expect(await rate.overLimit(['relay@forwarder.example'], CLIENT, T0 + 1)).toEqual({
      sender: 'relay@forwarder.example',
      client: CLIENT,
      count: 1,
    });
    expect(await rate.overLimit(['both@isp.example'], CLIENT, T0 + 1)).toEqual({
      sender: 'both@isp.example',
      client: CLIENT,
      count: 1,
    });
  });

  it("keeps a count per client: mail naming an address from elsewhere does not spend the count of the address's own client", async () => {
    const rate = new SenderRate(redis, 2);
    const customer = 'noc@customer.example';
    const forger = '198.51.100.7';
    // Someone elsewhere writes the customer's address in From, then in the envelope: its own count fills.
    expect(allowed(await rate.reserve(['forger@evil.example', customer], forger, T0))).toBe(true);
    expect(allowed(await rate.reserve([customer], forger, T0 + 1))).toBe(true);
    expect(await rate.reserve([customer], forger, T0 + 2)).toEqual({
      allowed: false,
      verdict: { sender: customer, client: forger, count: 2 },
    });
    expect(rate.recentlyOverLimit([customer], forger, T0 + 3)).toBe(true);
    // The customer's own client is untouched by it.
    expect(rate.recentlyOverLimit([customer], CLIENT, T0 + 3)).toBe(false);
    expect(await rate.overLimit([customer], CLIENT, T0 + 3)).toBeUndefined();
    expect(allowed(await rate.reserve([customer], CLIENT, T0 + 4))).toBe(true);
  });

  it('lets only the limit through when messages arrive together on many connections', async () => {
    const rate = new SenderRate(redis, 5);
    const sender = 'burst@isp.example';
    const decisions = await Promise.all(
      Array.from({ length: 30 }, (_, i) => rate.reserve([sender], CLIENT, T0 + i)),
    );
    expect(decisions.filter(allowed)).toHaveLength(5);
  });

  it('weighs the previous hour by how much of it is still inside the last 60 minutes', async () => {
    const rate = new SenderRate(redis, 4);
    const sender = 'sliding@isp.example';
    for (let i = 0; i < 4; i++) expect(allowed(await rate.reserve([sender], CLIENT, T0 + i))).toBe(true);
    // Three quarters into the next hour, the previous hour's 4 weigh 1: three more fit, not four.
    const later = T0 + HOUR + (3 * HOUR) / 4;
    for (let i = 0; i < 3; i++) expect(allowed(await rate.reserve([sender], CLIENT, later))).toBe(true);
    expect(await rate.reserve([sender], CLIENT, later)).toEqual({
      allowed: false,
      verdict: { sender, client: CLIENT, count: 4 },
    });
  });

  it('remembers, without asking Redis, who was lately found at the limit, until a message of theirs fits again', async () => {
    const rate = new SenderRate(redis, 1);
    const sender = 'remembered@isp.example';
    expect(rate.recentlyOverLimit([sender], CLIENT, T0)).toBe(false);
    const first = await rate.reserve([sender], CLIENT, T0);
    expect(allowed(await rate.reserve([sender], CLIENT, T0 + 1))).toBe(false);
    expect(rate.recentlyOverLimit(['someone@isp.example', 'Remembered@ISP.example'], CLIENT, T0 + 2)).toBe(
      true,
    );
    if (!first.allowed) throw new Error('unreachable');
    await rate.release(first.reservation);
    expect(allowed(await rate.reserve([sender], CLIENT, T0 + 3))).toBe(true);
    expect(rate.recentlyOverLimit([sender], CLIENT, T0 + 4)).toBe(false);
  });

  it('never takes a count below zero', async () => {
    const rate = new SenderRate(redis, 1);
    const sender = 'released-twice@isp.example';
    const decision = await rate.reserve([sender], CLIENT, T0);
    if (!decision.allowed) throw new Error('unreachable');
    await rate.release(decision.reservation);
    await rate.release(decision.reservation);
    expect(allowed(await rate.reserve([sender], CLIENT, T0 + 1))).toBe(true);
    expect(allowed(await rate.reserve([sender], CLIENT, T0 + 2))).toBe(false);
  });

  it('asks Redis once per message, whatever the number of senders', async () => {
    const rate = new SenderRate(redis, 100);
    await rate.reserve(['warm@isp.example'], CLIENT, T0); // Redis learns the script
    const monitor = await redis.monitor();
    const seen: string[] = [];
    // Commands a script runs inside Redis show with source "lua": they are not round trips.
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      if (!source.includes('lua')) seen.push(String(args[0]).toLowerCase());
    });
    try {
      await rate.reserve(['one@isp.example', 'Two@isp.example', 'one@isp.example'], CLIENT, T0 + 1);
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
      await expect(new SenderRate(gone, 5, 500).reserve(['x@isp.example'], CLIENT, T0)).rejects.toThrow();
    } finally {
      gone.disconnect();
    }
  });
});
