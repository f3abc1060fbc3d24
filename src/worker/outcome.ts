/**
 * What happened to one template, as stored in `submission_templates` and reported in the reply.
 */
import type { TemplateOutcome } from '../db/index.ts';
import type { EditedField, TemplateReport, TemplateStatus } from '../replies/index.ts';
import type { Problem } from '../shared/index.ts';

export interface TemplateResult {
  readonly index: number;
  readonly form: string;
  readonly outcome: TemplateOutcome;
  readonly ticket: string;
  readonly handles: Readonly<Record<string, string>>;
  readonly errors: readonly Problem[];
  readonly notes: readonly string[];
  readonly echo: string;
  /** Staff corrected the template before it ran: what they changed from the sender's text (`echo` is theirs). */
  readonly edited?: { readonly changes: readonly EditedField[] };
}

const STATUS: Record<TemplateOutcome, TemplateStatus> = {
  approved: 'APPROVED',
  rejected: 'REJECTED',
  pending_review: 'PENDING_REVIEW',
};

export function toReport(result: TemplateResult, total: number): TemplateReport {
  return {
    index: result.index,
    total,
    form: result.form,
    ticket: result.ticket,
    status: STATUS[result.outcome],
    handles: result.handles,
    errors: result.errors,
    notes: result.notes,
    echo: result.echo,
    ...(result.edited ? { edited: result.edited } : {}),
  };
}
