/**
 * A reading thread's entry when compiled (dist/, what bin/hostmasterd runs): source maps are a
 * setting of each thread, not of the process, so the thread turns them on as bin/hostmasterd
 * does, before its code loads, and its stack traces name src/ lines. (Passing
 * `--enable-source-maps` in the thread's execArgv would refuse the V8 flags a daemon may be
 * started with, such as --max-semi-space-size.)
 */
process.setSourceMapsEnabled(true);
await import('./thread.ts');
