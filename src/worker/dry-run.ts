/**
 * Dry runs (docs/reply-format.md, "Dry runs"): a message is run whole, every template through
 * every rule, in a transaction that is then undone; the sender hears what a real run would have
 * answered, marked `Dry-run: yes`. What a run takes outside its transaction must not be taken:
 * ticket numbers and POC handles reserved ahead (a dry run takes none: its tickets are a
 * placeholder, its POCs are numbered inside the transaction), customer numbers from the
 * sequence (read, not taken: OperationOptions.dryRun), notices (never composed, so never counted
 * against anyone's reply limit), metrics (not counted).
 */
import type { Requester } from '../auth/index.ts';
import type { Database } from '../db/index.ts';
import type { ParsedTemplate } from '../templates/index.ts';
import { DRY_RUN_TICKET, dryRunNumbers } from './dry-run-numbers.ts';
import type { TemplateResult } from './outcome.ts';
import { applyTemplate, TemplateRecords } from './run-template.ts';

export { DRY_RUN_TICKET, dryRunNumbers } from './dry-run-numbers.ts';

/** Thrown to undo a dry run's transaction once its results are read. */
export class DryRunUndo extends Error {
  constructor() {
    super('dry run: undone on purpose');
  }
}

const OUTCOME_NOTE: Record<TemplateResult['outcome'], string> = {
  approved:
    'dry run: a real run would apply this template; nothing was changed, no ticket or handle was issued, nobody was notified',
  pending_review:
    'dry run: a real run would hold this template for review by hostmaster staff; nothing was changed, no ticket was issued',
  rejected: 'dry run: a real run would refuse this template; nothing was changed, no ticket was issued',
};

/**
 * A result as a dry run answers it: the would-be status and errors, no ticket, no handle (numbers
 * of an undone transaction name nothing), and in place of what was done, what would be. What
 * reading left aside (`readingNotes`: fields skipped for an Org ID, Additional Information for
 * staff, a blank form or a repeat not processed) stays first, as in the real run: it is what a
 * billing system testing with dry runs most needs to see.
 */
export function dryRunResult(result: TemplateResult, readingNotes: readonly string[] = []): TemplateResult {
  const kept = result.outcome === 'approved' ? readingNotes : result.notes;
  return { ...result, ticket: '', handles: {}, notes: [...kept, OUTCOME_NOTE[result.outcome]] };
}

/**
 * Templates tried against the registry and undone (`hostmasterd lint --against-registry`): each
 * through the worker's own steps (authorization, the registry operation, later templates seeing
 * what earlier ones would have done) in one transaction that is rolled back; no submission, no
 * reply. Their results as a dry run answers them.
 */
export async function tryTemplates(
  db: Database,
  templates: readonly ParsedTemplate[],
  requester: Requester,
  sender: string | undefined,
): Promise<TemplateResult[]> {
  let results: TemplateResult[] = [];
  const numbers = dryRunNumbers();
  try {
    await db.transaction(async (tx) => {
      const records = new TemplateRecords();
      for (const template of templates) {
        results.push(
          await applyTemplate(
            tx,
            { submissionId: LINT_SUBMISSION, template, requester, sender, options: { dryRun: numbers } },
            { previous: undefined, ticket: DRY_RUN_TICKET },
            records,
          ),
        );
      }
      throw new DryRunUndo();
    });
  } catch (error) {
    if (!(error instanceof DryRunUndo)) throw error;
  }
  results = results.map((r) => dryRunResult(r, templates.find((t) => t.index === r.index)?.notes));
  return results;
}

/** The submission a lint run's templates belong to inside its undone transaction: none. */
const LINT_SUBMISSION = 'lint';
