/**
 * PGlite's PostgreSQL on a file system that really syncs. PGlite starts PostgreSQL with `-F`
 * (fsync off), and its Node file system (Emscripten's NODEFS) answers every fsync without
 * syncing: a commit reached the OS page cache, not the disk, so a message answered 250 survived
 * the daemon's crash but not a power cut or a kernel crash, and PostgreSQL with fsync off may not
 * even start again after one. Here NODEFS's files sync as PostgreSQL asks (`fs.fsyncSync` on the
 * real descriptor), and PostgreSQL is started with fsync on and `wal_sync_method=fsync`: its
 * default, fdatasync, is a call Emscripten answers without asking the file system at all.
 */
import fs from 'node:fs';
import type { PGlite } from '@electric-sql/pglite';
import { NodeFS } from '@electric-sql/pglite/nodefs';

/** What PGlite starts PostgreSQL with, fsync on and synced as above. */
export function durableStartParams(defaults: readonly string[]): string[] {
  return [...defaults.filter((p) => p !== '-F'), '-c', 'fsync=on', '-c', 'wal_sync_method=fsync'];
}

/** An open NODEFS file: Emscripten keeps the real descriptor as `nfd`. */
interface NodeStream {
  readonly nfd?: number;
}

type Mod = Parameters<NodeFS['init']>[1];

/** NODEFS under `dataDir`, whose fsync reaches the disk. */
export class DurableNodeFS extends NodeFS {
  override async init(pg: PGlite, opts: Partial<Mod>): Promise<{ emscriptenOpts: Partial<Mod> }> {
    const { emscriptenOpts } = await super.init(pg, opts);
    const syncing = (mod: Mod) => {
      // NODEFS's stream operations are one object every file's node points at.
      const streamOps = (mod.NODEFS as unknown as { stream_ops: Record<string, unknown> }).stream_ops;
      streamOps['fsync'] = (stream: NodeStream) => {
        if (stream.nfd !== undefined) fs.fsyncSync(stream.nfd);
        return 0;
      };
    };
    return { emscriptenOpts: { ...emscriptenOpts, preRun: [...(emscriptenOpts.preRun ?? []), syncing] } };
  }
}
