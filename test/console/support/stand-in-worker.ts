/**
 * STAND-IN for the worker room's staff-job handling, which is not written yet. It runs on the
 * real queue (BullMQ on a real redis-server) and writes the rows the real worker will write
 * (net, ticket, template outcome, outbox reply, audit), for Reassign-Simple templates only,
 * with the two rules the browser test exercises: the range must sit in a net of DEMOISP-1, and
 * IPv4 reassignments smaller than /29 are refused unless waived. When src/worker lands, the
 * console tests start the real worker instead and this file goes.
 */
import { and, eq, gte, lte } from 'drizzle-orm';
import type { Database, StoredProblem } from '../../../src/db/index.ts';
import { tables } from '../../../src/db/index.ts';
import { equivalentPrefixLength, formatAddress, parseRange, rangeToCidrs } from '../../../src/ip/index.ts';
import type { SubmissionJob, SubmissionProcessor } from '../../../src/queue/index.ts';

export function standInStaffJobs(db: Database): SubmissionProcessor {
  return async (job: SubmissionJob) => {
    if (job.kind === 'process') return;
    const templateIndex = job.kind === 'reprocess' ? (job.templateIndexes[0] ?? 1) : job.templateIndex;
    const waive = job.kind === 'reprocess' ? [] : job.waive;
    const t = tables.submissionTemplates;
    const where = and(eq(t.submissionId, job.submissionId), eq(t.templateIndex, templateIndex));
    const [template] = await db.select().from(t).where(where);
    if (template?.outcome !== 'rejected') return;
    const request = template.request as { range: string; networkName: string };
    const rangeText =
      job.kind === 'edit-and-apply' ? (job.fieldValues['03'] ?? request.range) : request.range;
    const range = parseRange(rangeText);
    if (!range.ok) throw new Error(range.error.message);
    const n = tables.nets;
    const [parent] = await db
      .select()
      .from(n)
      .where(
        and(
          eq(n.orgHandle, 'DEMOISP-1'),
          lte(n.startAddress, range.value.start),
          gte(n.endAddress, range.value.end),
        ),
      );
    const errors: StoredProblem[] = [];
    if (!parent) {
      errors.push({
        code: 'E_NO_PARENT_NET',
        field: '03',
        message: `no net of DEMOISP-1 holds ${rangeText}`,
      });
    }
    if (equivalentPrefixLength(range.value) > 29 && !waive.includes('E_PREFIX_TOO_SMALL')) {
      errors.push({ code: 'E_PREFIX_TOO_SMALL', field: '03', message: `${rangeText} is smaller than a /29` });
    }
    if (errors.length > 0 || !parent) {
      await db.update(t).set({ errors }).where(where);
      return;
    }
    const handle = `NET-${formatAddress(4, range.value.start).replaceAll('.', '-')}-1`;
    const ticket = `20261125-X${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;
    await db.transaction(async (tx) => {
      await tx.insert(n).values({
        handle,
        name: request.networkName,
        version: 4,
        startAddress: range.value.start,
        endAddress: range.value.end,
        cidrs: rangeToCidrs(range.value).map((c) => `${formatAddress(4, c.base)}/${c.prefixLength}`),
        type: 'simple_reassignment',
        parentHandle: parent.handle,
        orgHandle: 'DEMOISP-1',
      });
      await tx.insert(tables.tickets).values({
        number: ticket,
        submissionId: job.submissionId,
        templateIndex,
        status: 'approved',
      });
      await tx
        .update(t)
        .set({ outcome: 'approved', ticketNumber: ticket, errors: [], handles: { net: handle } })
        .where(where);
      await tx.insert(tables.auditLog).values({
        actor: `staff:${job.staff}`,
        action: 'net.create',
        objectType: 'net',
        objectHandle: handle,
        ticketNumber: ticket,
        submissionId: job.submissionId,
        note: job.note,
      });
      await tx.insert(tables.outbox).values({
        messageId: `<${job.submissionId}.reply.${templateIndex}.${job.kind}@localhost>`,
        submissionId: job.submissionId,
        kind: 'reply',
        recipients: ['billing@cust.example'],
        raw: `Subject: Re: SWIP --APPROVED\r\n\r\nTemplate 1 of 1: ARIN-REASSIGN-SIMPLE-5.3\r\nTicket: ${ticket}\r\nStatus: APPROVED\r\nHandle: ${handle}\r\n`,
      });
    });
  };
}
