/**
 * The embedded database thread's entry when compiled (dist/, what bin/hostmasterd runs): source
 * maps are a setting of each thread, so it turns them on as bin/hostmasterd does, before its
 * code loads (as src/reading/thread-main.ts does, for the same reasons).
 */
process.setSourceMapsEnabled(true);
await import('./pglite-thread-body.ts');
