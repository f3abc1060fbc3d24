// The raw view's thread entry: threads do not share the loader hooks of the thread that starts
// them, so tsx is registered here as bin/hostmasterd does, then the TypeScript is loaded.
import { register } from 'tsx/esm/api';

register();
await import('./raw-view-thread.ts');
