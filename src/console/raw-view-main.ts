/**
 * The raw view's thread entry when compiled (dist/, what bin/hostmasterd runs): source maps are
 * a setting of each thread, so it turns them on before its code loads, as the reading threads'
 * entry does (src/reading/thread-main.ts). Run from the sources, the thread starts from
 * raw-view-entry.mjs, which registers tsx first; compiled, there is no TypeScript to load.
 */
process.setSourceMapsEnabled(true);
await import('./raw-view-thread.ts');
