/**
 * How the embedded PostgreSQL starts, wherever it runs: in the process that opens it (commands,
 * tests) or in the daemon's thread of its own (pglite-thread.ts). Its codecs are not here: they
 * belong to the side that reads the answers (the opening process's main thread either way).
 */
import { PGlite, type PGliteOptions } from '@electric-sql/pglite';
import { btree_gist } from '@electric-sql/pglite/contrib/btree_gist';
import { DurableNodeFS, durableStartParams } from './pglite-durable-fs.ts';

/**
 * PGlite's PostgreSQL keeps initdb's shared_buffers of 128 MB inside the process's WebAssembly
 * memory, which never shrinks: PGlite alone on our database, the same queries, held 140 MB more
 * RSS than with 8 MB. Its files are real files under DATA_DIR, which the OS page cache keeps warm,
 * so a small buffer pool costs little (docs/operations.md, "Memory on the embedded defaults").
 */
const PGLITE_SHARED_BUFFERS = '8MB';

/** PGlite's options for the database in `dataDir` (`memory://`: in memory, nothing on disk). */
export function pgliteStartOptions(dataDir: string): PGliteOptions {
  return {
    // Durable: a commit is on disk when PGlite answers it (pglite-durable-fs.ts).
    startParams: [
      ...durableStartParams(PGlite.defaultStartParams),
      '-c',
      `shared_buffers=${PGLITE_SHARED_BUFFERS}`,
    ],
    // The nets' sibling exclusion constraint needs btree_gist (drizzle/0001_sibling_exclusion.sql).
    extensions: { btree_gist },
    ...(dataDir === 'memory://' ? {} : { fs: new DurableNodeFS(dataDir) }),
  };
}
