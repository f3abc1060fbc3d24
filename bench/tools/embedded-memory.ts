/**
 * `npx tsx bench/tools/embedded-memory.ts [IDLE_SECONDS] [--bare]`: what `hostmasterd start` on
 * the embedded defaults holds in memory idle, a first start and a restart (bench/support/
 * embedded-memory.ts; `npm run bench` reports the same in its targets). Prints one JSON line per
 * start.
 */
import { measureEmbeddedIdle } from '../support/embedded-memory.ts';

const bare = process.argv.includes('--bare');
const idleSeconds = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 15);
for (const line of await measureEmbeddedIdle({
  idleSeconds,
  bare,
  log: (text) => process.stderr.write(`${text}\n`),
})) {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}
