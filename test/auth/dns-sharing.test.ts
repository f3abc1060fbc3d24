/**
 * The DNS a worker process shares among its messages: answers and failures kept, one question
 * asked once however many messages ask it at once, a bounded number in flight, and a name
 * server that never answers costs each question its timeout and gives its place back.
 */
import { describe, expect, it } from 'vitest';
import { createSharedResolver, type DnsResolver } from '../../src/auth/index.ts';

function counting(answer: (name: string) => Promise<string[][]>) {
  const asked: string[] = [];
  let inFlight = 0;
  let most = 0;
  const resolver: DnsResolver = async (name, rrtype) => {
    asked.push(`${rrtype} ${name}`);
    inFlight++;
    most = Math.max(most, inFlight);
    try {
      return await answer(name);
    } finally {
      inFlight--;
    }
  };
  return { resolver, asked, most: () => most };
}

const notFound = (name: string) => Object.assign(new Error(`ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
const later = <T>(value: T, ms = 20) => new Promise<T>((r) => setTimeout(() => r(value), ms));

describe('createSharedResolver', () => {
  it('asks a question once for many askers at once, and keeps the answer', async () => {
    const dns = counting((name) => later([[`v=spf1 -all ${name}`]]));
    const shared = createSharedResolver(dns.resolver, { concurrency: 4, lookupTimeoutMs: 1_000 });
    const answers = await Promise.all(Array.from({ length: 40 }, () => shared('isp.example', 'TXT')));
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
    await shared('ISP.example.', 'TXT');
    expect(dns.asked).toEqual(['TXT isp.example']);
  });

  it('keeps "no such record" as an answer and a timeout as a failure, each for its time', async () => {
    let clock = 0;
    const dns = counting(async (name) => {
      if (name === 'none.example') throw notFound(name);
      return new Promise<never>(() => {});
    });
    const shared = createSharedResolver(dns.resolver, {
      concurrency: 2,
      lookupTimeoutMs: 50,
      answerTtlMs: 10_000,
      failureTtlMs: 1_000,
      now: () => clock,
    });
    await expect(shared('none.example', 'TXT')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    await expect(shared('dead.example', 'TXT')).rejects.toMatchObject({ code: 'ETIMEOUT' });
    for (let i = 0; i < 10; i++) {
      await expect(shared('none.example', 'TXT')).rejects.toMatchObject({ code: 'ENOTFOUND' });
      await expect(shared('dead.example', 'TXT')).rejects.toMatchObject({ code: 'ETIMEOUT' });
    }
    expect(dns.asked).toEqual(['TXT none.example', 'TXT dead.example']);
    clock = 2_000; // the failure is forgotten, the absence is not
    await expect(shared('dead.example', 'TXT')).rejects.toMatchObject({ code: 'ETIMEOUT' });
    await expect(shared('none.example', 'TXT')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    expect(dns.asked).toEqual(['TXT none.example', 'TXT dead.example', 'TXT dead.example']);
  });

  it('has at most `concurrency` questions in flight; a dead name server gives its places back', async () => {
    let live = 0;
    let mostLive = 0;
    const resolver: DnsResolver = async (name) => {
      if (name.startsWith('dead')) return new Promise<never>(() => {});
      live++;
      mostLive = Math.max(mostLive, live);
      // A turn of the event loop, not a timer: ten of these, two at a time, within the 250 ms
      // each question is given (10 ms timers overran 100 ms on a busy machine).
      await new Promise((r) => setImmediate(r));
      live--;
      return [['ok']];
    };
    const shared = createSharedResolver(resolver, { concurrency: 2, lookupTimeoutMs: 250 });
    const dead = Array.from({ length: 6 }, (_, i) =>
      shared(`dead${i}.example`, 'TXT').catch((e: { code: string }) => e.code),
    );
    expect(await Promise.all(dead)).toEqual(Array(6).fill('ETIMEOUT'));
    // The places held by questions that never got an answer are free again, and never more than two.
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => shared(`live${i}.example`, 'TXT')),
    );
    expect(answers).toHaveLength(10);
    expect(mostLive).toBe(2);
  });
});
