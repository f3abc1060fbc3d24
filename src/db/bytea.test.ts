import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { openDatabase, parseBytea, serializeBytea } from './open.ts';

describe('bytea on PGlite, through Buffer hex instead of a string per byte', () => {
  it('round-trips every byte value, an empty value and a value inside a larger buffer', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(parseBytea(serializeBytea(all))).toEqual(Buffer.from(all));
    expect(parseBytea(serializeBytea(new Uint8Array()))).toEqual(Buffer.alloc(0));
    const window = new Uint8Array(all.buffer, 10, 5);
    expect(serializeBytea(window)).toBe('\\x0a0b0c0d0e');
    expect(() => serializeBytea('text')).toThrow(/Uint8Array/);
  });

  it('stores and reads back a 1 MB message byte for byte', async () => {
    const database = await openDatabase({ kind: 'pglite', dataDir: 'memory://' });
    try {
      const raw = Buffer.alloc(1024 * 1024);
      for (let i = 0; i < raw.length; i++) raw[i] = (i * 31) & 0xff;
      const result = (await database.db.execute(sql`select ${raw}::bytea as raw`)) as unknown as {
        rows: { raw: Uint8Array }[];
      };
      expect(Buffer.from(result.rows[0]!.raw).equals(raw)).toBe(true);
    } finally {
      await database.close();
    }
  });
});
