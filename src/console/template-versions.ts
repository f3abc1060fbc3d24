/**
 * The texts a template has had, for the submission page and the edit: version 1 as the customer
 * sent it, then each staff edit (written by the worker in `template_versions`). Before the first
 * edit nothing is recorded and the stored echo is the customer's text.
 */
import { and, asc, eq } from 'drizzle-orm';
import type { Database } from '../db/index.ts';
import { tables } from '../db/index.ts';
import { hideKeys } from './key-hiding.ts';

export interface TemplateVersionView {
  readonly version: number;
  /** `customer`, or `staff:<email>`. */
  readonly author: string;
  /** When it was written; the message's arrival for the customer's. */
  readonly at: Date;
  /** The whole template, keys hidden. */
  readonly text: string;
}

/**
 * Every template's versions, oldest first, by template index: the recorded ones, or the stored
 * echo as version 1 for a template never edited.
 */
export async function versionsOfSubmission(
  db: Database,
  submissionId: string,
  receivedAt: Date,
  echoes: ReadonlyMap<number, string>,
): Promise<Map<number, TemplateVersionView[]>> {
  const v = tables.templateVersions;
  const rows = await db
    .select({ index: v.templateIndex, version: v.version, author: v.author, at: v.createdAt, text: v.text })
    .from(v)
    .where(eq(v.submissionId, submissionId))
    .orderBy(asc(v.templateIndex), asc(v.version));
  const byIndex = new Map<number, TemplateVersionView[]>();
  for (const { index, ...row } of rows) {
    const list = byIndex.get(index) ?? [];
    list.push({ ...row, text: hideKeys(row.text).text });
    byIndex.set(index, list);
  }
  for (const [index, echo] of echoes) {
    if (!byIndex.has(index)) {
      byIndex.set(index, [{ version: 1, author: 'customer', at: receivedAt, text: hideKeys(echo).text }]);
    }
  }
  return byIndex;
}

/** Every version of one template, oldest first; an empty list when the template does not exist. */
export async function templateVersions(
  db: Database,
  submissionId: string,
  index: number,
): Promise<TemplateVersionView[]> {
  const v = tables.templateVersions;
  const recorded = await db
    .select({ version: v.version, author: v.author, at: v.createdAt, text: v.text })
    .from(v)
    .where(and(eq(v.submissionId, submissionId), eq(v.templateIndex, index)))
    .orderBy(asc(v.version));
  if (recorded.length > 0) return recorded.map((row) => ({ ...row, text: hideKeys(row.text).text }));
  const t = tables.submissionTemplates;
  const [stored] = await db
    .select({ echo: t.echo, receivedAt: tables.submissions.receivedAt })
    .from(t)
    .innerJoin(tables.submissions, eq(tables.submissions.id, t.submissionId))
    .where(and(eq(t.submissionId, submissionId), eq(t.templateIndex, index)));
  if (!stored) return [];
  return [{ version: 1, author: 'customer', at: stored.receivedAt, text: hideKeys(stored.echo).text }];
}
