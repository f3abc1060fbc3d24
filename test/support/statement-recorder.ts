/**
 * Records the SQL statements this test process sends to PostgreSQL: every statement of the pool
 * (whatever client class it uses) goes through `pg.Client.prototype.query`. For tests that pin
 * how many round trips a path costs; PGlite does not go through pg.
 */
import pg from 'pg';

export interface StatementRecorder {
  /** Collects the texts of what `work` sends (trimmed, as sent). */
  during<T>(work: () => Promise<T>): Promise<{ result: T; sent: string[] }>;
  /** Puts pg's own query back. */
  restore(): void;
}

export function recordStatements(): StatementRecorder {
  const original = pg.Client.prototype.query;
  let statements: string[] | undefined;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const query = args[0] as string | { text: string };
    statements?.push((typeof query === 'string' ? query : query.text).trim());
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof original;
  return {
    async during(work) {
      statements = [];
      try {
        const result = await work();
        return { result, sent: statements };
      } finally {
        statements = undefined;
      }
    },
    restore() {
      pg.Client.prototype.query = original;
    },
  };
}
