/**
 * Liveness and readiness. `/healthz` says the process is up and answering (an orchestrator
 * restarts it otherwise); `/readyz` says whether it can do its work right now: the database
 * and Redis both answer a ping. A process that is alive but not ready is left running (it
 * reconnects by itself) and only taken out of rotation.
 */
import { redactUrl } from '../config/index.ts';
import { withDeadline } from './metrics.ts';

/** One dependency to ping, e.g. { name: 'database', ping: () => db.ping() }. */
export interface ReadinessCheck {
  readonly name: string;
  ping(): Promise<unknown>;
}

export type CheckStatus = { readonly status: 'up' } | { readonly status: 'down'; readonly error: string };

export interface Readiness {
  readonly ready: boolean;
  readonly checks: Readonly<Record<string, CheckStatus>>;
}

export interface Liveness {
  readonly status: 'ok';
  readonly pid: number;
  readonly uptimeSeconds: number;
  readonly roles: readonly string[];
}

/** Pings every check at once, each bounded by `timeoutMs` (a hung dependency counts as down). */
export async function checkReadiness(
  checks: readonly ReadinessCheck[],
  timeoutMs = 2_000,
): Promise<Readiness> {
  const results = await Promise.all(
    checks.map(async (check): Promise<[string, CheckStatus]> => {
      try {
        await withDeadline(check.ping(), timeoutMs);
        return [check.name, { status: 'up' }];
      } catch (error) {
        return [check.name, { status: 'down', error: describe(error) }];
      }
    }),
  );
  return {
    ready: results.every(([, result]) => result.status === 'up'),
    checks: Object.fromEntries(results),
  };
}

export function liveness(roles: readonly string[]): Liveness {
  return { status: 'ok', pid: process.pid, uptimeSeconds: Math.round(process.uptime()), roles };
}

/** One line, never a password (driver errors may quote a connection URL). */
function describe(error: unknown): string {
  // node-postgres reports a refused connection as an AggregateError with an empty message.
  if (error instanceof AggregateError && !error.message && error.errors.length > 0) {
    return error.errors.map((e) => describe(e)).join('; ');
  }
  const message = error instanceof Error ? error.message || error.name : String(error);
  return redactUrl(message.split('\n')[0] ?? '').slice(0, 300);
}
