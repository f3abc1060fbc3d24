// The embedded database thread's entry when the sources run through tsx (tests; bin/hostmasterd
// without a compiler): threads do not share the loader hooks of the thread that starts them, so
// tsx is registered here, then the TypeScript is loaded. Compiled, the thread starts from
// pglite-thread-main.js.
import { register } from 'tsx/esm/api';

register();
await import('./pglite-thread-body.ts');
