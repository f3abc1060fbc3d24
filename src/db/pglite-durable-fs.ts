/**
 * PGlite's PostgreSQL on a file system that really syncs. PGlite starts PostgreSQL with `-F`
 * (fsync off), and its Node file system (Emscripten's NODEFS) answers every fsync without
 * syncing: a commit reached the OS page cache, not the disk, so a message answered 250 survived
 * the daemon's crash but not a power cut or a kernel crash, and PostgreSQL with fsync off may not
 * even start again after one. Here NODEFS's files sync as PostgreSQL asks (`fs.fdatasyncSync` on the
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

/** An open NODEFS file: Emscripten keeps the real descriptor as `nfd`, and the file's mode on its node. */
interface NodeStream {
  readonly nfd?: number;
  readonly node?: { readonly mode?: number };
}

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;

/**
 * A file's data and what is needed to read it back (its size, its blocks) reach the disk with
 * fdatasync, without its times: what PostgreSQL itself syncs its WAL with by default on Linux.
 * Every commit waits for one, about four a message; on this machine an 8 kB write and its sync
 * took 2.7-3.6 ms with fdatasync, 4.1-4.8 ms with fsync. A directory (its entries, after a file
 * is made or renamed) is synced with fsync.
 */
function syncToDisk(stream: NodeStream): void {
  if (stream.nfd === undefined) return;
  const mode = stream.node?.mode;
  if (mode !== undefined && (mode & S_IFMT) !== S_IFDIR) fs.fdatasyncSync(stream.nfd);
  else fs.fsyncSync(stream.nfd);
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
        syncToDisk(stream);
        return 0;
      };
    };
    return { emscriptenOpts: { ...emscriptenOpts, preRun: [...(emscriptenOpts.preRun ?? []), syncing] } };
  }
}
