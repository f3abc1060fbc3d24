/**
 * `hostmasterd validation run [--as-of DATE]`: one round of the annual POC validation now (the
 * worker role also runs one daily, VALIDATION_RUN_AT). `--as-of` runs it as of another day
 * (YYYY-MM-DD, or an ISO time): whom it finds due, and the 60 days it gives them, count from
 * there. Exit 0 done, 64 usage, 1 the database cannot be opened or the round failed (run it
 * again: it resumes without mailing anyone twice).
 */
import { openDatabase } from '../db/index.ts';
import { createLogger, formatProblem, ProblemError } from '../shared/index.ts';
import { runValidationRound } from '../validation/index.ts';
import type { CommandDeps } from './types.ts';

const USAGE = 'Usage: hostmasterd validation run [--as-of YYYY-MM-DD]\n';

/** `2027-12-08` (midnight UTC) or a full ISO time; undefined when it is neither. */
export function parseAsOf(raw: string): Date | undefined {
  const text = /^\d{4}-\d{2}-\d{2}$/.test(raw) ? `${raw}T00:00:00Z` : raw;
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text)) return undefined;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

export async function validationCommand(
  args: string[],
  deps: CommandDeps & { readonly asOf?: string | undefined },
): Promise<number> {
  const [verb, ...extra] = args;
  if (verb !== 'run' || extra.length > 0) {
    deps.stderr.write(USAGE);
    return 64;
  }
  const asOf = deps.asOf === undefined ? new Date() : parseAsOf(deps.asOf);
  if (!asOf) {
    deps.stderr.write(`hostmasterd validation: --as-of "${deps.asOf}" is not a date (YYYY-MM-DD)\n${USAGE}`);
    return 64;
  }
  let handle: Awaited<ReturnType<typeof openDatabase>>;
  try {
    handle = await openDatabase(deps.config.database);
  } catch (error) {
    const message = error instanceof ProblemError ? formatProblem(error.problem) : (error as Error).message;
    deps.stderr.write(`hostmasterd validation: ${message}\n`);
    return 1;
  }
  try {
    const logger = createLogger({ level: 'warn', destination: deps.stderr });
    const report = await runValidationRound({ db: handle.db, config: deps.config, logger }, asOf);
    deps.stdout.write(
      [
        `Validation round ${report.round} (as of ${asOf.toISOString()}):`,
        `  made invalid (no answer within 60 days): ${report.expired.length}${list(report.expired)}`,
        `  mailed now: ${report.mailed.length}${list(report.mailed)}`,
        `  already mailed in this round: ${report.alreadyMailed}`,
        '',
      ].join('\n'),
    );
    return 0;
  } catch (error) {
    deps.stderr.write(
      `hostmasterd validation: the round stopped: ${(error as Error).message}; run it again to resume\n`,
    );
    return 1;
  } finally {
    await handle.close();
  }
}

function list(handles: readonly string[]): string {
  if (handles.length === 0) return '';
  const shown = handles.slice(0, 20).join(', ');
  return ` (${shown}${handles.length > 20 ? `, and ${handles.length - 20} more` : ''})`;
}
