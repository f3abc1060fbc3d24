/**
 * A daemon that runs only the pipeline (ingress, worker) has its PostgreSQL sessions plan each
 * named statement once (src/db/open.ts `sessionOptions`, `plannedOnce`): PostgreSQL's own choice
 * went back to planning a message's two large statements on every execution once an ANALYZE of a
 * growing table had invalidated their plans. Other processes keep PostgreSQL's choice (their
 * prefix searches need the value planned in), and a URL whose `options` name plan_cache_mode is
 * left as the operator wrote it.
 */
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { openDatabase, queryRows } from '../../src/db/index.ts';
import { sessionOptions } from '../../src/db/open.ts';
import { createPostgresDatabase } from '../support/databases.ts';

async function setting(url: string, plannedOnce: boolean, name: string): Promise<string | undefined> {
  const handle = await openDatabase({ kind: 'postgres', url }, { migrate: false, plannedOnce });
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

describe('PostgreSQL sessions that plan each statement once', () => {
  it('are asked for by the pipeline alone, keep the URL’s own options and its own plan_cache_mode', async () => {
    const url = await createPostgresDatabase();
    expect(await setting(url, true, 'plan_cache_mode')).toBe('force_generic_plan');
    expect(await setting(url, true, 'jit')).toBe('off');
    expect(await setting(url, false, 'plan_cache_mode')).toBe('auto');

    const withOptions = new URL(url);
    withOptions.searchParams.set('options', '-c work_mem=8MB');
    expect(await setting(withOptions.toString(), true, 'plan_cache_mode')).toBe('force_generic_plan');
    expect(await setting(withOptions.toString(), true, 'work_mem')).toBe('8MB');

    const asked = new URL(url);
    asked.searchParams.set('options', '-c plan_cache_mode=force_custom_plan');
    expect(await setting(asked.toString(), true, 'plan_cache_mode')).toBe('force_custom_plan');
    expect(sessionOptions(asked.toString(), { plannedOnce: true })).toBe(sessionOptions(asked.toString()));
  });
});
