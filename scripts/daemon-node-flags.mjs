// Node flags and environment `npm start` runs the daemon with (and the bench's embedded scenario,
// which measures what `npm start` runs). Plain JavaScript: scripts/start.mjs imports it before
// anything is built. Measured in bench/results/before-after.md ("Eighth round, b").
//
// V8's young generation with 4 MB semi-spaces instead of Node's 16: under the bench's burst the
// embedded daemon (every role, PGlite in the same process) peaked at 438-460 MiB with 16 and
// 380 with 4, with no more CPU per message; young objects die young here (a message's parse,
// its statements, its reply), and a large nursery only held more pages of garbage.
// A runtime change (v8.setFlagsFromString) does not resize a running heap, so it is a flag.
//
// The old generation grown by half of what survived the last full collection, where V8 lets it
// grow up to four times on a machine with this much memory: what a message leaves behind is
// garbage within a second, yet under the burst the old generation swelled from ~50 MB to ~140
// before V8 collected it (the daemon's peak). It is a growth factor, not a cap: a message that
// needs more memory gets it, collected more often on the way.
export const DAEMON_NODE_FLAGS = ['--max-semi-space-size=4', '--heap-growing-percent=50'];

// glibc's malloc keeps freed memory in its arenas: it gives back only the top of a heap, above a
// trim threshold, and serves blocks under a threshold that rises (up to 32 MB) each time a large
// block is freed from its heaps instead of mapping them apart. After start-up (PGlite's
// WebAssembly compiled on V8's threads, its 9 MB of code and 6 MB of files read in) ~40 MB freed
// stayed in the arenas, ~50 MB after the first messages (malloc_trim, called from gdb, gave it
// back). Fixed thresholds: blocks of 32 KiB and more mapped apart (given back when freed), heaps
// trimmed above 128 KiB.
export const DAEMON_MALLOC_TUNABLES = 'glibc.malloc.trim_threshold=131072:glibc.malloc.mmap_threshold=32768';

/** The daemon's environment: `env` with our malloc settings, unless it names its own. */
export function daemonEnvironment(env) {
  return env.GLIBC_TUNABLES === undefined ? { ...env, GLIBC_TUNABLES: DAEMON_MALLOC_TUNABLES } : env;
}
