/** What the daemon's main thread and the embedded database's thread (pglite-thread.ts) say to each other. */

/** The thread's workerData: which database it opens. */
export interface ThreadStart {
  readonly dataDir: string;
}

/**
 * To the thread, answered in the order sent: `exec` runs PostgreSQL wire protocol messages and
 * answers PostgreSQL's bytes; `close` closes the database (a checkpoint) and ends the thread.
 */
export type ToThread = { readonly kind: 'exec'; readonly message: Uint8Array } | { readonly kind: 'close' };

export type FromThread =
  | { readonly kind: 'ready' }
  /** The database could not be opened; the thread ends. */
  | { readonly kind: 'failed'; readonly message: string }
  | { readonly kind: 'answer'; readonly data: Uint8Array }
  /** PGlite itself threw (not a statement's error: those are in PostgreSQL's answer). */
  | { readonly kind: 'thrown'; readonly message: string; readonly stack: string | undefined }
  | { readonly kind: 'closed' };
