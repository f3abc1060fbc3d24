import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { inPhase, messageCounted, startPhaseTimes, timedSync, writePhaseTimes } from './phase-times.ts';

/** Keeps the thread busy without a clock: work whose size is known. */
function spin(rounds: number): number {
  let sum = 0;
  for (let i = 0; i < rounds; i++) sum += Math.sqrt(i);
  return sum;
}

function rowsOf(table: string): Map<string, { ms: number; slices: number }> {
  const rows = new Map<string, { ms: number; slices: number }>();
  for (const line of table.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 4 || cells[1] === 'phase' || cells[1]?.startsWith('---')) continue;
    rows.set(cells[1]!.replace(/\*/g, ''), {
      ms: Number(cells[2]!.replace(/\*/g, '')),
      slices: Number(cells[3] || 0),
    });
  }
  return rows;
}

describe('phase times', () => {
  it("charges an await's continuation to the phase that awaited, and a timed call to itself", async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'phase-times-')), 'phases.md');
    startPhaseTimes(file, 1);
    // The first message is the warm-up: not counted.
    await inPhase('reading', async () => {
      spin(1e6);
    });
    messageCounted();
    for (let message = 0; message < 2; message++) {
      await inPhase('reading', async () => {
        await sleep(1);
        spin(2e6);
      });
      await inPhase('replying', async () => {
        await sleep(1);
        spin(2e5);
        timedSync('rendering', () => spin(2e6));
      });
      messageCounted();
    }
    writePhaseTimes();
    const table = fs.readFileSync(file, 'utf8');
    expect(table).toContain('2 messages after 1');
    const rows = rowsOf(table);
    const reading = rows.get('reading')!;
    const replying = rows.get('replying')!;
    const rendering = rows.get('rendering')!;
    // The spin after each await ran in a continuation: it is reading's, not unlabelled.
    expect(reading.slices).toBeGreaterThanOrEqual(2);
    expect(reading.ms).toBeGreaterThan(0);
    // Ten times the work of replying's own spin, taken out of replying's slice.
    expect(rendering.ms).toBeGreaterThan(replying.ms);
    // The rows and what lies outside them make the main thread's total.
    const phases = [...rows].filter(([name]) => !/thread|process|garbage/.test(name));
    const main = rows.get('main thread (/proc)')!.ms;
    const outside = [...rows].find(([name]) => name.startsWith('main thread, outside'))![1].ms;
    const sum = phases.filter(([n]) => !n.startsWith('main thread')).reduce((s, [, r]) => s + r.ms, 0);
    expect(Math.abs(sum + outside - main)).toBeLessThan(0.05);
  });
});
