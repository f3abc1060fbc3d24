/**
 * Records the SQL statements this test process sends to PostgreSQL: every statement of the pool
 * (whatever client class it uses) goes through `pg.Client.prototype.query`. For tests that pin
 * how many round trips a path costs; PGlite does not go through pg.
 */
import pg from 'pg';

export interface SentStatement {
  readonly text: string;
  readonly values: readonly unknown[];
}

export interface StatementRecorder {
  /** Collects the texts of what `work` sends (trimmed, as sent). */
  during<T>(work: () => Promise<T>): Promise<{ result: T; sent: string[] }>;
  /** The same with each statement's parameters, for a test that asks the server to EXPLAIN them. */
  withValues<T>(work: () => Promise<T>): Promise<{ result: T; sent: SentStatement[] }>;
  /** Puts pg's own query back. */
  restore(): void;
}

export function recordStatements(): StatementRecorder {
  const original = pg.Client.prototype.query;
  let statements: SentStatement[] | undefined;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const query = args[0] as string | { text: string; values?: unknown[] };
    statements?.push(
      typeof query === 'string'
        ? { text: query.trim(), values: Array.isArray(args[1]) ? args[1] : [] }
        : { text: query.text.trim(), values: Array.isArray(args[1]) ? args[1] : (query.values ?? []) },
    );
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof original;
  return {
    async withValues(work) {
      statements = [];
      try {
        const result = await work();
        return { result, sent: statements };
      } finally {
        statements = undefined;
      }
    },
    async during(work) {
      statements = [];
      try {
        const result = await work();
        return { result, sent: statements.map((s) => s.text) };
      } finally {
        statements = undefined;
      }
    },
    restore() {
      pg.Client.prototype.query = original;
    },
  };
}
