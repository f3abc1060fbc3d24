/**
 * The embedded database (PGlite) runs with a small buffer pool: initdb's 128 MB of shared_buffers
 * sat inside the daemon's WebAssembly memory, most of its idle RSS (docs/operations.md, "Memory on
 * the embedded defaults"). Its files are real files the OS page cache keeps.
 */
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/index.ts';
import { pgliteSnapshot } from '../support/databases.ts';

describe('the embedded database', () => {
  it('keeps a buffer pool of 8 MB, not initdb 128 MB', async () => {
    const handle = await openDatabase(
      { kind: 'pglite', dataDir: 'memory://' },
      { migrate: false, pgliteSnapshot: pgliteSnapshot() },
    );
    try {
      const client = (
        handle.db as unknown as { $client: { query(sql: string): Promise<{ rows: unknown[] }> } }
      ).$client;
      const { rows } = await client.query('show shared_buffers');
      expect(rows).toEqual([{ shared_buffers: '8MB' }]);
    } finally {
      await handle.close();
    }
  });
});
