/**
 * What PostgreSQL's busy sessions are doing, sampled every few milliseconds during a scenario
 * (BENCH_PG_WAITS=1): the share of samples per wait event and statement. Tells a lock that makes
 * transactions take turns (Lock:transactionid, Lock:tuple on one hot row) from commit fsyncs
 * (IO:WALSync) or plain work (no wait event), without guessing.
 */
import pg from 'pg';

export interface WaitSample {
  readonly wait: string;
  readonly query: string;
  readonly share: number;
}

export interface WaitSampler {
  stop(): Promise<WaitSample[]>;
}

export async function sampleWaits(adminUrl: string, everyMs = 5): Promise<WaitSampler> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  const counts = new Map<string, number>();
  let samples = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const { rows } = await client.query<{ wait: string; query: string }>(
        `select coalesce(wait_event_type || ':' || wait_event, 'CPU/client') as wait,
                left(regexp_replace(query, '\\s+', ' ', 'g'), 70) as query
           from pg_stat_activity
          where state in ('active', 'idle in transaction') and pid <> pg_backend_pid()
            and backend_type = 'client backend'`,
      );
      samples++;
      for (const row of rows) {
        const key = `${row.wait}\t${row.query}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      await client.end();
      return [...counts.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 12)
        .map(([key, n]) => {
          const [wait = '', query = ''] = key.split('\t');
          return { wait, query, share: Math.round((n / Math.max(1, samples)) * 100) / 100 };
        });
    },
  };
}
