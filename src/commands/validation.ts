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

/** How far ahead `--as-of` may go: a test of next year's round, not a typo of 9999. */
const MAX_YEARS_AHEAD = 10;

/**
 * `2027-12-08` (midnight UTC) or a full ISO time, a real calendar day (not `2026-02-30`, which
 * Date would roll into March) from 2000 to MAX_YEARS_AHEAD years on; otherwise why not.
 */
export function readAsOf(
  raw: string,
  now = new Date(),
): { ok: true; date: Date } | { ok: false; why: string } {
  const text = /^\d{4}-\d{2}-\d{2}$/.test(raw) ? `${raw}T00:00:00Z` : raw;
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text)) return { ok: false, why: 'is not a date (YYYY-MM-DD)' };
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) return { ok: false, why: 'is not a date (YYYY-MM-DD)' };
  // A day Date rolled over (the 30th of February) is no day of the calendar.
  const [year, month, day] = text.slice(0, 10).split('-').map(Number) as [number, number, number];
  const asWritten = new Date(Date.UTC(year, month - 1, day));
  if (asWritten.getUTCMonth() !== month - 1 || asWritten.getUTCDate() !== day) {
    return { ok: false, why: 'is not a day of the calendar' };
  }
  const latest = new Date(now);
  latest.setUTCFullYear(latest.getUTCFullYear() + MAX_YEARS_AHEAD);
  if (date.getUTCFullYear() < 2000 || date > latest) {
    return {
      ok: false,
      why: `is outside 2000-01-01 .. ${latest.toISOString().slice(0, 10)} (at most ${MAX_YEARS_AHEAD} years on)`,
    };
  }
  return { ok: true, date };
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
  const read = deps.asOf === undefined ? { ok: true as const, date: new Date() } : readAsOf(deps.asOf);
  if (!read.ok) {
    deps.stderr.write(`hostmasterd validation: --as-of "${deps.asOf}" ${read.why}\n${USAGE}`);
    return 64;
  }
  const asOf = read.date;
  const logger = createLogger({ level: 'warn', destination: deps.stderr });
  let report: ValidationRunLine;
  try {
    const { result } = await onDatabase(deps.config, 'validation-run', { asOf: asOf.toISOString() }, logger);
    if (!result.ok) {
      // An internal error's message may hold SQL, its parameters and token digests: not for a
      // terminal (the daemon's log has it). What the round did before it is committed and kept.
      const said =
        result.error.code === 'E_INTERNAL'
          ? 'E_INTERNAL: the round stopped on an internal error (details in the log); what it did before it (POCs made invalid, mails written) is kept; run it again to resume: nobody is mailed twice'
          : formatProblem(result.error);
      deps.stderr.write(`hostmasterd validation: ${said}\n`);
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
      ...(report.deferred
        ? [
            `  deferred to a later day (an address nobody proved had its ${deps.config?.limits.repliesPerRecipientPerHour ?? ''} mails of this round): ${report.deferred.length}${list(report.deferred)}`,
          ]
        : []),
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
