/**
 * `npx tsx bench/tools/cpuprofile-summary.ts FILE.cpuprofile [N]`: where a process spent its CPU
 * (from `node --cpu-prof`, see BENCH_CPU_PROF in bench/run.ts): busy vs idle share, and the top N
 * functions by self time and by package (node_modules/<pkg>, our src/<room>, node internals).
 */
import fs from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const [file, topArg] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: cpuprofile-summary FILE.cpuprofile [N]\n');
  process.exit(64);
}
const top = Number(topArg ?? 25);
const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfUs = new Map<number, number>();
profile.samples.forEach((id, i) => {
  selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
});

function where(url: string): string {
  if (!url) return '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg) return pkg;
  const room = /\/src\/([^/]+)/.exec(url)?.[1];
  if (room) return `src/${room.replace(/\.ts$/, '')}`;
  if (url.startsWith('node:')) return 'node:internal';
  return url.split('/').slice(-2).join('/');
}

const total = profile.endTime - profile.startTime;
const fnTotals = new Map<string, number>();
const pkgTotals = new Map<string, number>();
let idle = 0;
for (const [id, us] of selfUs) {
  const node = byId.get(id)!;
  const name = node.callFrame.functionName || '(anonymous)';
  if (name === '(idle)' || name === '(program)' || name === '(garbage collector)') {
    if (name === '(idle)') idle += us;
    pkgTotals.set(name, (pkgTotals.get(name) ?? 0) + us);
    continue;
  }
  const key = `${name} ${where(node.callFrame.url)}:${node.callFrame.lineNumber + 1}`;
  fnTotals.set(key, (fnTotals.get(key) ?? 0) + us);
  const pkg = where(node.callFrame.url);
  pkgTotals.set(pkg, (pkgTotals.get(pkg) ?? 0) + us);
}
const pct = (us: number) => `${((100 * us) / total).toFixed(1).padStart(5)}%`;
const ms = (us: number) => `${Math.round(us / 1000)} ms`.padStart(9);
console.log(`${file}\nwall ${ms(total)}, busy ${pct(total - idle)}\n\nby package/room (self time):`);
for (const [name, us] of [...pkgTotals].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  console.log(`  ${pct(us)} ${ms(us)}  ${name}`);
}
// Inclusive time of our own functions (src/): a call's whole subtree, counted once per stack.
const parent = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
const inclusive = new Map<string, number>();
for (const [id, us] of selfUs) {
  const seen = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const node = byId.get(at)!;
    if (!/\/src\//.test(node.callFrame.url)) continue;
    const key = `${node.callFrame.functionName || '(anonymous)'} ${where(node.callFrame.url)}:${node.callFrame.lineNumber + 1}`;
    if (seen.has(key)) continue;
    seen.add(key);
    inclusive.set(key, (inclusive.get(key) ?? 0) + us);
  }
}
console.log('\nour functions (inclusive time):');
for (const [name, us] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  console.log(`  ${pct(us)} ${ms(us)}  ${name}`);
}

console.log('\nby function (self time):');
for (const [name, us] of [...fnTotals].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  console.log(`  ${pct(us)} ${ms(us)}  ${name}`);
}
