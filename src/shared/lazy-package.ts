/**
 * A package loaded on first use, through `require`. A CLI command pays only for what it runs
 * (`hostmasterd lint` opens no database and no queue, though the rooms it uses can), and the
 * CommonJS packages load without Node's ESM loader, which first scans every CommonJS file an
 * `import` reaches for its export names: mailparser and bullmq cost twice the CPU to import as to
 * require (bench/results/cli-profile.md). Every value a package gives src/ must come through
 * the same way, or two copies of it load (types may still be imported: they are erased).
 */
import { createRequire } from 'node:module';

const requireFromHere = createRequire(import.meta.url);

/** `const bullmq = lazyPackage<typeof import('bullmq')>('bullmq')`, then `bullmq().Queue`. */
export function lazyPackage<T>(name: string): () => T {
  let loaded: T | undefined;
  return () => {
    loaded ??= requireFromHere(name) as T;
    return loaded;
  };
}
