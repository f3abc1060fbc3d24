/**
 * What a run that is undone numbers on its own (a dry run, dry-run.ts; the registry's checks of
 * a template refused at reading, run-template.ts): nothing taken outside its transaction.
 */
import type { DryRunNumbers } from '../registry/index.ts';

/** The ticket a dry run's templates carry inside the undone transaction: never stored, never answered. */
export const DRY_RUN_TICKET = 'DRY-RUN';

/** Numbers a dry run gives its new customers within the run (1, 2...), past the sequence's last. */
export function dryRunNumbers(): DryRunNumbers {
  let customers = 0;
  return { nextCustomer: () => ++customers };
}
