/**
 * `hostmasterd validation run [--as-of DATE]`: one round of the annual POC validation now (the
 * worker role also runs one daily, VALIDATION_RUN_AT). `--as-of` runs it as of another day
 * (YYYY-MM-DD, or an ISO time): whom it finds due, and the 60 days it gives them, count from
 * there. On the embedded database while a daemon runs, the daemon runs the round (its command
 * socket, database-channel.ts). Exit 0 done, 64 usage, 1 the database cannot be opened or the
 * round failed (run it again: it resumes without mailing anyone twice).
 */
import { createLogger, formatProblem, ProblemError } from '../shared/index.ts';
import { onDatabase } from './database-channel.ts';
import type { ValidationRunLine } from './database-operations.ts';
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
  const logger = createLogger({ level: 'warn', destination: deps.stderr });
  let report: ValidationRunLine;
  try {
    const { result } = await onDatabase(deps.config, 'validation-run', { asOf: asOf.toISOString() }, logger);
    if (!result.ok) {
      const resume = result.error.code === 'E_INTERNAL' ? '; run it again to resume' : '';
      deps.stderr.write(`hostmasterd validation: ${formatProblem(result.error)}${resume}\n`);
      return 1;
    }
    report = result.value;
  } catch (error) {
    if (error instanceof ProblemError) {
      deps.stderr.write(`hostmasterd validation: ${formatProblem(error.problem)}\n`);
    } else {
      deps.stderr.write(
        `hostmasterd validation: the round stopped: ${(error as Error).message}; run it again to resume\n`,
      );
    }
    return 1;
  }
  deps.stdout.write(
    [
      `Validation round ${report.round} (as of ${asOf.toISOString()}):`,
      `  made invalid (no answer within 60 days): ${report.madeInvalid.length}${list(report.madeInvalid)}`,
      `  mailed now: ${report.mailed.length}${list(report.mailed)}`,
      `  already mailed in this round: ${report.alreadyMailed}`,
      '',
    ].join('\n'),
  );
  return 0;
}

function list(handles: readonly string[]): string {
  if (handles.length === 0) return '';
  const shown = handles.slice(0, 20).join(', ');
  return ` (${shown}${handles.length > 20 ? `, and ${handles.length - 20} more` : ''})`;
}
