/**
 * Where PostgreSQL's own time went during a scenario (BENCH_PG_STATEMENTS=1): the statements
 * with the most server execution time, from pg_stat_statements, with calls and mean time. The
 * client's profile shows round trips and query building; this shows what the server paid for
 * each kind of statement, so the next statement to remove or rewrite is chosen by measurement.
 */
import pg from 'pg';

export interface StatementCost {
  readonly calls: number;
  readonly totalMs: number;
  readonly meanMs: number;
  /** Of the total, planning (a prepared statement re-planned each run shows here). */
  readonly planMs: number;
  /** Times it was planned: far fewer than its calls when PostgreSQL kept a plan for a named statement. */
  readonly plans: number;
  readonly query: string;
}

export interface StatementStats {
  stop(): Promise<StatementCost[]>;
}

export async function collectStatementStats(adminUrl: string, top = 15): Promise<StatementStats> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  await client.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  await client.query('SELECT pg_stat_statements_reset()');
  return {
    async stop() {
      try {
        const { rows } = await client.query<{
          calls: string;
          total: number;
          mean: number;
          plan: number;
          plans: string;
          query: string;
        }>(
          `SELECT calls, total_exec_time + total_plan_time AS total,
                  (total_exec_time + total_plan_time) / calls AS mean, total_plan_time AS plan, plans,
                  left(regexp_replace(query, '\\s+', ' ', 'g'), 90) AS query
             FROM pg_stat_statements
            WHERE query NOT ILIKE '%pg_stat_statements%'
            ORDER BY total DESC LIMIT $1`,
          [top],
        );
        return rows.map((r) => ({
          calls: Number(r.calls),
          totalMs: r.total,
          meanMs: r.mean,
          planMs: r.plan,
          plans: Number(r.plans),
          query: r.query,
        }));
      } finally {
        await client.end();
      }
    },
  };
}
