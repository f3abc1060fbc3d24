/**
 * Messages are read in threads: the same reading as in place (keys kept off JSON), the event
 * loop free meanwhile, and a reading past its time budget stopped and answered
 * E_MESSAGE_TOO_COMPLEX while the pool goes on reading others.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ReadingPool, readMessage } from '../../src/reading/index.ts';

const FIXTURES = join(import.meta.dirname, '../fixtures/mail');
const fixture = (name: string) => readFileSync(join(FIXTURES, name));
const OPTIONS = { maxTemplates: 10 };

/** About 9 MB that take seconds of CPU to read (600,000 text lines, each no template line). */
const heavy = Buffer.from(
  `From: noc@isp.example\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${'a line of text\r\n'.repeat(600_000)}`,
);

const pools: ReadingPool[] = [];
afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
});
function pool(timeLimitMs: number): ReadingPool {
  const p = new ReadingPool({ size: 2, timeLimitMs, memoryLimitMb: 512 });
  pools.push(p);
  return p;
}

describe('reading threads', () => {
  it('read a message as it is read in place, API keys hidden from JSON but there', async () => {
    const raw = fixture('attachment-txt-base64.eml');
    const [inThread, inPlace] = await Promise.all([
      pool(60_000).read(raw, OPTIONS),
      readMessage(raw, OPTIONS),
    ]);
    expect(inThread).toEqual(inPlace);
    if (!inThread.ok || !inThread.parsed.ok || !inPlace.ok || !inPlace.parsed.ok) throw new Error('unread');
    expect(inThread.parsed.templates[0]!.apiKey).toBe(inPlace.parsed.templates[0]!.apiKey);
    expect(inThread.parsed.apiKey).toBe(inPlace.parsed.apiKey);
    expect(inThread.parsed.templates[0]!.apiKey).toMatch(/^API-/);
    const json = JSON.stringify(inThread.parsed, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
    expect(json).not.toContain(inThread.parsed.templates[0]!.apiKey);
    expect(inThread.mail.headers.date).toEqual(inPlace.mail.headers.date);
  }, 60_000);

  it('leave the event loop free while a heavy message is read', async () => {
    const readings = pool(120_000);
    await readings.read(fixture('plain-reassign-simple-5.0.eml'), OPTIONS); // threads started
    let ticks = 0;
    let longestGap = 0;
    let last = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      longestGap = Math.max(longestGap, now - last);
      last = now;
      ticks++;
    }, 10);
    const before = process.cpuUsage();
    const reading = await readings.read(heavy, OPTIONS);
    const used = process.cpuUsage(before);
    clearInterval(timer);
    expect(reading.ok).toBe(true);
    expect(ticks).toBeGreaterThan(5);
    // The CPU went to the thread: in place, this loop would have been blocked for all of it.
    const inPlace = process.cpuUsage();
    await readMessage(heavy, OPTIONS);
    const inPlaceUsed = process.cpuUsage(inPlace);
    expect(longestGap).toBeLessThan((inPlaceUsed.user + inPlaceUsed.system) / 1000);
    expect(used.user).toBeGreaterThan(0);
  }, 120_000);

  it('stop a reading past its time budget, answer E_MESSAGE_TOO_COMPLEX, and read the next message', async () => {
    const readings = pool(500);
    // Both threads started and warm: a first reading in a new thread compiles its code.
    const ordinaryMail = fixture('plain-reassign-simple-5.0.eml');
    for (let i = 0; i < 5; i++)
      await Promise.all([readings.read(ordinaryMail, OPTIONS), readings.read(ordinaryMail, OPTIONS)]);
    const [slow, ordinary] = await Promise.all([
      readings.read(heavy, OPTIONS),
      readings.read(ordinaryMail, OPTIONS),
    ]);
    expect(slow.ok).toBe(false);
    if (slow.ok) return;
    expect(slow.problem.code).toBe('E_MESSAGE_TOO_COMPLEX');
    expect(slow.problem.message).toContain('took more than 0.5 s and was stopped');
    expect(slow.problem.message).toContain('plain text');
    // The other thread was not held up; a new thread takes the stopped one's place.
    expect(ordinary).toMatchObject({ ok: true });
    const after = await pool(60_000).read(fixture('plain-reassign-simple-5.0.eml'), OPTIONS);
    expect(after.ok).toBe(true);
  }, 120_000);
});
