/**
 * The daemon's PostgreSQL sessions run without JIT (src/db/open.ts `withoutJit`): a message's
 * set-based placement was estimated costly enough, on a registry of ~10,000 nets, for JIT to spend
 * 4.8 s compiling a 15 ms statement on every execution. An operator's own `options` are kept,
 * and one that asks for JIT keeps it.
 */
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { openDatabase, queryRows } from '../../src/db/index.ts';
import { withoutJit } from '../../src/db/open.ts';
import { createPostgresDatabase } from '../support/databases.ts';

async function setting(url: string, name: string): Promise<string | undefined> {
  const handle = await openDatabase({ kind: 'postgres', url }, { migrate: false });
  try {
    const [row] = await queryRows<{ value: string }>(
      handle.db,
      sql`select current_setting(${name}) as value`,
    );
    return row?.value;
  } finally {
    await handle.close();
  }
}

describe('PostgreSQL sessions without JIT', () => {
  it('turns JIT off, keeps the URL’s own options, and leaves a URL that names jit alone', async () => {
    const url = await createPostgresDatabase();
    expect(await setting(url, 'jit')).toBe('off');

    const withOptions = new URL(url);
    withOptions.searchParams.set('options', '-c work_mem=8MB');
    expect(await setting(withOptions.toString(), 'jit')).toBe('off');
    expect(await setting(withOptions.toString(), 'work_mem')).toBe('8MB');

    const asked = new URL(url);
    asked.searchParams.set('options', '-c jit=on');
    expect(withoutJit(asked.toString())).toBe(asked.toString());
    expect(await setting(asked.toString(), 'jit')).toBe('on');
  });
});
