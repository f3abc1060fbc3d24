/**
 * A refused template that a later approved one of the same account made moot closes itself:
 * a billing system that fixed its mistake and sent the template again (same range, same handle)
 * leaves nothing for staff to decide. That holds for a template refused at reading too (a
 * country XX: no request was built): its row keeps what the fields that did read name
 * (src/templates/subjects.ts, `subjectsRead`). The rejection becomes `superseded`, by `system`, naming the
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

/**
 * Starts from the approvals' subjects (the GIN index on `submission_templates.subjects`) and
 * reaches each earlier template's rejections and submission by their keys, so its plan cannot
 * start from the account's open rejections: a plan made while an account had few of them (a
 * young database, statistics between two autoanalyze runs) read them all for every message once
 * they piled up (18,086 pages for 3,000; test/worker/supersede-plan.test.ts). Each step is a
 * subquery of its own on one table, whose cost the planner weighs by the tables' current sizes.
 */
const SUPERSEDE: StatementWrite = {
  name: 'supersede-rejections',
  build: (rows) => {
    const r = tables.rejections;
    const s = tables.submissions;
    const st = tables.submissionTemplates;
    return sql`UPDATE ${r} SET state = 'superseded', superseded_by = hit.by_submission,
        closed_by = 'system', closed_at = now(),
        staff_notes = 'superseded: template ' || hit.by_index || ' of ' || hit.by_submission
          || ' (ticket ' || hit.ticket || '), sent later by the same account asking the same '
          || 'change of the same range or handle (or the same new net by its names), was approved'
      FROM (
        SELECT a.submission_id AS by_submission, a.template_index AS by_index, a.ticket,
          ARRAY(
            SELECT rj.id FROM ${r} AS rj
            WHERE rj.submission_id = earlier.submission_id
              AND rj.template_index = earlier.template_index
              AND rj.state = 'open' AND rj.reason_code <> ${STAFF_REVIEW_CODE}
          ) AS rejection_ids
        FROM json_to_recordset(${rows}) AS a(account_id integer, submission_id text,
            template_index integer, ticket text, subjects text[])
          JOIN ${st} AS earlier ON earlier.subjects && a.subjects
        WHERE earlier.submission_id <> a.submission_id
          -- A scalar subquery, not EXISTS: a semi-join may read all submissions into a hash.
          AND (
            SELECT sent.account_id = a.account_id
              AND sent.received_at < (SELECT later.received_at FROM ${s} AS later WHERE later.id = a.submission_id)
            FROM ${s} AS sent WHERE sent.id = earlier.submission_id
          )
        OFFSET 0
      ) AS hit
      WHERE ${r.id} = ANY (hit.rejection_ids)`;
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
