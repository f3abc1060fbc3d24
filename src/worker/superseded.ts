/**
 * A refused template that a later approved one of the same account made moot closes itself:
 * a billing system that fixed its mistake and sent the template again (same range, same handle)
 * leaves nothing for staff to decide. The rejection becomes `superseded`, by `system`, naming the
 * approving submission (`superseded_by`, a link in the console) and, in its notes, the template
 * and ticket. Work held for review (E_STAFF_REVIEW) is never closed so: its sender holds an open
 * ticket that only a staff decision answers. Nobody is mailed: the sender has the later approval.
 *
 * Written with the message's other records, in the same statement (TemplateRecords.write), so an
 * approval and the closing of what it supersedes commit together.
 */
import { sql } from 'drizzle-orm';
import { type StatementWrite, statementRows, type TogetherWrite, tables } from '../db/index.ts';
import { STAFF_REVIEW_CODE } from './decision-codes.ts';

/** An approved template, as the rows of the supersede statement carry it. */
export type Approval = {
  readonly account_id: number;
  readonly submission_id: string;
  readonly template_index: number;
  readonly ticket: string;
  readonly subjects: readonly string[];
};

const SUPERSEDE: StatementWrite = {
  name: 'supersede-rejections',
  build: (rows) => {
    const r = tables.rejections;
    const s = tables.submissions;
    const st = tables.submissionTemplates;
    return sql`UPDATE ${r} SET state = 'superseded', superseded_by = a.submission_id,
        closed_by = 'system', closed_at = now(),
        staff_notes = 'superseded: template ' || a.template_index || ' of ' || a.submission_id
          || ' (ticket ' || a.ticket || '), sent later by the same account about the same '
          || 'range or handle, was approved'
      FROM json_to_recordset(${rows}) AS a(account_id integer, submission_id text,
          template_index integer, ticket text, subjects text[]),
        ${s}, ${st}
      WHERE ${r.state} = 'open' AND ${r.templateIndex} IS NOT NULL
        AND ${r.reasonCode} <> ${STAFF_REVIEW_CODE}
        AND ${s.id} = ${r.submissionId} AND ${s.accountId} = a.account_id
        AND ${s.id} <> a.submission_id
        AND ${s.receivedAt} < (SELECT later.received_at FROM ${s} later WHERE later.id = a.submission_id)
        AND ${st.submissionId} = ${r.submissionId} AND ${st.templateIndex} = ${r.templateIndex}
        AND ${st.subjects} && a.subjects`;
  },
};

/** The statement closing what `approvals` supersede; sent with no rows too (the same text every time). */
export function supersedeWrite(approvals: readonly Approval[]): TogetherWrite {
  return statementRows(
    tables.rejections,
    SUPERSEDE,
    approvals.filter((a) => a.subjects.length > 0),
  );
}
