/**
 * `npm run fuzz`: 100,000 nasty messages (test/support/fuzz-mail.ts, at the sizes that once
 * hurt) through the worker's reading of a message, in place and timed one by one. Prints the
 * crashes (an exception, or a reading breaking readingViolations), each saved as an .eml under
 * bench/tmp/fuzz/ with the seed that makes it again; the slowest inputs with their time against
 * the median (saved too); and the process's max RSS.
 *
 *   npm run fuzz                      100,000 inputs, a random seed
 *   FUZZ_RUNS=2000 FUZZ_SEED=42 npm run fuzz
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { readMessage } from '../src/reading/index.ts';
import { DEEP_SIZE, nastyMail, readingViolations } from '../test/support/fuzz-mail.ts';

const runs = Number(process.env['FUZZ_RUNS'] ?? 100_000);
const seed = Number(process.env['FUZZ_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
const slowestShown = Number(process.env['FUZZ_SLOWEST'] ?? 10);
const OUT = join(import.meta.dirname, 'tmp/fuzz');
mkdirSync(OUT, { recursive: true });

interface Timed {
  readonly index: number;
  readonly ms: number;
  readonly bytes: number;
}

const arbitrary = nastyMail(DEEP_SIZE);
/** Input `index` of a run with `seed`: the same bytes every time. */
const inputAt = (index: number): Buffer => fc.sample(arbitrary, { seed: seed + index, numRuns: 1 })[0]!;

const crashes: { index: number; file: string; why: string }[] = [];
const times: Timed[] = [];
let slowest: Timed[] = [];
const started = Date.now();
let totalBytes = 0;

for (let index = 0; index < runs; index++) {
  const raw = inputAt(index);
  totalBytes += raw.length;
  const before = process.hrtime.bigint();
  let why: string | undefined;
  try {
    const violations = readingViolations(await readMessage(raw, { maxTemplates: 10 }));
    if (violations.length > 0) why = violations.slice(0, 5).join('; ');
  } catch (error) {
    why = error instanceof Error ? (error.stack ?? error.message) : String(error);
  }
  const ms = Number(process.hrtime.bigint() - before) / 1e6;
  const timed = { index, ms, bytes: raw.length };
  times.push(timed);
  // The slowest few so far, without sorting 100,000 times.
  if (slowest.length < slowestShown || ms > slowest[slowest.length - 1]!.ms) {
    slowest = [...slowest, timed].sort((a, b) => b.ms - a.ms).slice(0, slowestShown);
  }
  if (why) {
    const file = join(OUT, `crash-${seed}-${index}.eml`);
    writeFileSync(file, raw);
    crashes.push({ index, file, why });
    console.log(`CRASH input ${index} (${raw.length} bytes, ${file}): ${why.split('\n')[0]}`);
  }
  if ((index + 1) % 5000 === 0) {
    const rss = Math.round(process.memoryUsage().rss / 2 ** 20);
    console.log(`${index + 1} inputs, ${Math.round((Date.now() - started) / 1000)} s, rss ${rss} MB`);
  }
}

const sorted = times.map((t) => t.ms).sort((a, b) => a - b);
const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
const p99 = sorted[Math.floor(sorted.length * 0.99)] ?? 0;
const maxRssMb = Math.round(process.resourceUsage().maxRSS / 1024);

console.log('');
console.log(
  `seed ${seed}: ${runs} inputs (${(totalBytes / 2 ** 20).toFixed(0)} MB) in ${Math.round((Date.now() - started) / 1000)} s`,
);
console.log(
  `time per input: median ${median.toFixed(2)} ms, p99 ${p99.toFixed(1)} ms, max ${(sorted.at(-1) ?? 0).toFixed(0)} ms`,
);
console.log(`max RSS: ${maxRssMb} MB`);
console.log(`crashes: ${crashes.length}${crashes.length ? ` (saved in ${OUT})` : ''}`);
for (const c of crashes.slice(0, 20)) console.log(`  input ${c.index}: ${c.why.split('\n')[0]}`);
console.log(`slowest ${slowest.length} (x median; FUZZ_SEED=${seed}, input index; saved in ${OUT}):`);
for (const s of slowest) {
  const file = join(OUT, `slow-${seed}-${s.index}.eml`);
  writeFileSync(file, inputAt(s.index));
  console.log(
    `  input ${s.index}: ${s.ms.toFixed(0)} ms (${median > 0 ? Math.round(s.ms / median) : '-'} x), ${s.bytes} bytes`,
  );
}
process.exitCode = crashes.length > 0 ? 1 : 0;
