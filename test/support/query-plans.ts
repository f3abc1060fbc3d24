/**
 * PostgreSQL's plan of a statement as the daemon sent it (text and values, as the statement
 * recorder caught them), for the tests that hold a lookup or a write to the pages it reads.
 */
import pg from 'pg';
import type { SentStatement } from './statement-recorder.ts';

/** A client of its own to EXPLAIN on (the daemon's statements are recorded on theirs). */
export async function connectExplainer(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return client;
}

/** A node of `EXPLAIN (FORMAT JSON)`; the counts are there with ANALYZE (and BUFFERS). */
export interface PlanNode {
  readonly 'Node Type': string;
  readonly Operation?: string;
  readonly 'Relation Name'?: string;
  readonly 'Index Name'?: string;
  readonly 'Index Cond'?: string;
  readonly 'Actual Rows'?: number;
  readonly 'Actual Loops'?: number;
  readonly 'Rows Removed by Filter'?: number;
  readonly 'Rows Removed by Index Recheck'?: number;
  readonly 'Shared Hit Blocks'?: number;
  readonly 'Shared Read Blocks'?: number;
  readonly Plans?: readonly PlanNode[];
}

/**
 * The statement's plan; with `analyze`, run (inside a transaction the caller undoes, for a
 * statement that writes) with its actual rows and buffers.
 */
export async function explainStatement(
  client: pg.Client,
  statement: Pick<SentStatement, 'text' | 'values'>,
  options: { readonly analyze?: boolean } = {},
): Promise<PlanNode> {
  const how = options.analyze ? 'analyze, buffers, format json' : 'format json';
  const { rows } = await client.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
    `explain (${how}) ${statement.text}`,
    [...statement.values],
  );
  return rows[0]!['QUERY PLAN'][0].Plan;
}

/** The node and every node below it. */
export function planNodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(planNodes)];
}

/** Pages a node touched, its children's included (ANALYZE, BUFFERS). */
export function pagesRead(node: PlanNode): number {
  return (node['Shared Hit Blocks'] ?? 0) + (node['Shared Read Blocks'] ?? 0);
}
