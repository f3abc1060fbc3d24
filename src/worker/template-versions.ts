/**
 * The versions of a template's text (`template_versions`): version 1 as the customer sent it,
 * then one per staff edit, each written in the transaction that runs the edit.
 */
import { and, asc, desc, eq } from 'drizzle-orm';
import { type Executor, tables } from '../db/index.ts';
import { type FieldEdit, fieldEdits } from '../templates/index.ts';

export interface TemplateVersion {
  readonly version: number;
  /** The whole template, keys hidden. */
  readonly text: string;
  readonly author: string;
  readonly jobId: string | null;
}

/** The newest version on record; none before the first edit (the customer's text is version 1). */
export async function latestVersion(
  ex: Executor,
  submissionId: string,
  index: number,
): Promise<TemplateVersion | undefined> {
  const v = tables.templateVersions;
  const [row] = await ex
    .select({ version: v.version, text: v.text, author: v.author, jobId: v.jobId })
    .from(v)
    .where(and(eq(v.submissionId, submissionId), eq(v.templateIndex, index)))
    .orderBy(desc(v.version))
    .limit(1);
  return row;
}

/**
 * Records staff's text as the next version, writing the customer's as version 1 first when this
 * is the template's first edit. Both texts are stored with keys hidden (the echo's form).
 */
export async function recordEdit(
  ex: Executor,
  edit: {
    readonly submissionId: string;
    readonly index: number;
    readonly customerEcho: string;
    readonly editedEcho: string;
    readonly after: number;
    readonly staff: string;
    readonly jobId: string;
  },
): Promise<number> {
  const base = { submissionId: edit.submissionId, templateIndex: edit.index };
  const rows = [
    ...(edit.after === 1 ? [{ ...base, version: 1, text: edit.customerEcho, author: 'customer' }] : []),
    {
      ...base,
      version: edit.after + 1,
      text: edit.editedEcho,
      author: `staff:${edit.staff}`,
      jobId: edit.jobId,
    },
  ];
  // The primary key refuses a second edit written on the same version at the same moment.
  await ex.insert(tables.templateVersions).values(rows);
  return edit.after + 1;
}

/**
 * What staff changed in each edited template of the submission: its latest version (the text a
 * staff run applies, and the one its result quotes) against the customer's, version 1. Templates
 * never edited are not in the map.
 */
export async function staffEdits(
  ex: Executor,
  submissionId: string,
): Promise<Map<number, readonly FieldEdit[]>> {
  const v = tables.templateVersions;
  const rows = await ex
    .select({ index: v.templateIndex, version: v.version, text: v.text })
    .from(v)
    .where(eq(v.submissionId, submissionId))
    .orderBy(asc(v.templateIndex), asc(v.version));
  const texts = new Map<number, { customer?: string; latest?: string }>();
  for (const row of rows) {
    const known = texts.get(row.index) ?? {};
    if (row.version === 1) known.customer = row.text;
    else known.latest = row.text;
    texts.set(row.index, known);
  }
  const edits = new Map<number, readonly FieldEdit[]>();
  for (const [index, { customer, latest }] of texts) {
    if (customer !== undefined && latest !== undefined) edits.set(index, fieldEdits(customer, latest));
  }
  return edits;
}
