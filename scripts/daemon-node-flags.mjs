// Node flags `npm start` runs the daemon with (and the bench's embedded scenario, which measures
// what `npm start` runs). Plain JavaScript: scripts/start.mjs imports it before anything is built.
//
// V8's young generation with 4 MB semi-spaces instead of Node's 16: under the bench's burst the
// embedded daemon (every role, PGlite in the same process) peaked at 438-460 MiB with 16 and
// 380 with 4, with no more CPU per message; young objects die young here (a message's parse,
// its statements, its reply), and a large nursery only held more pages of garbage.
// A runtime change (v8.setFlagsFromString) does not resize a running heap, so it is a flag.
export const DAEMON_NODE_FLAGS = ['--max-semi-space-size=4'];
