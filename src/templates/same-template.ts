/**
 * What a template says, as read: so that the same request sent twice in one message (in the body
 * and again as an attachment, with a greeting around one of them and not the other) is read
 * once, and so that one of our own blank forms riding along (a Forward of our FORMS answer, or
 * "reply with attachments") is not taken for a request. Compared by the fields as read (form and
 * version, each field's number and its value with blanks collapsed), never by bytes: mail
 * programs rewrap, re-indent and re-space what they quote and attach.
 */
import { readFields } from './read-fields.ts';
import { resolveForm } from './resolve-form.ts';
import type { TemplateBlock } from './split.ts';

export type TemplateContent =
  /** Every field empty, as we publish the form: not a request. */
  | { readonly kind: 'blank' }
  /** Its fields as read; equal identities are the same request. */
  | { readonly kind: 'filled'; readonly identity: string }
  /** Not read far enough to compare (unknown form, no END OF TEMPLATE): judged on its own. */
  | { readonly kind: 'unread' };

const collapsed = (text: string) => text.replace(/\s+/g, ' ').trim();

export function templateContent(block: TemplateBlock): TemplateContent {
  const resolved = resolveForm(block.header, block.headerLine);
  if ('problem' in resolved || block.endLine === undefined) return { kind: 'unread' };
  // A line that is no field makes the template something the sender wrote, never blank: count them.
  let strays = 0;
  const fields = readFields(block.body, {
    push: () => strays++,
    get length() {
      return strays;
    },
  });
  const values = fields.map((f) =>
    [f.id, collapsed(f.value), ...f.continuations.map((c) => collapsed(c.text))].join('\u0001'),
  );
  if (strays === 0 && fields.every((f) => f.value.trim() === '' && f.continuations.length === 0))
    return { kind: 'blank' };
  // Lines the reader refused still say what the template is: the body's lines are its content then.
  const body = strays === 0 ? values : block.body.map((l) => collapsed(l.text)).filter((l) => l !== '');
  return {
    kind: 'filled',
    identity: [resolved.form.name, resolved.written, ...body].join('\u0002'),
  };
}

/** The message's templates sorted: those to process, and what is said about the others. */
export interface SortedTemplates {
  /** The templates to process, in message order, the first of each request only. */
  readonly kept: readonly TemplateBlock[];
  /** For each kept template (by position in `kept`), the lines where the same request stands again. */
  readonly againAt: ReadonlyMap<number, readonly number[]>;
  /** Blank forms, not requests. */
  readonly blank: readonly TemplateBlock[];
}

export function sortTemplates(blocks: readonly TemplateBlock[]): SortedTemplates {
  const kept: TemplateBlock[] = [];
  const blank: TemplateBlock[] = [];
  const againAt = new Map<number, number[]>();
  const first = new Map<string, number>();
  for (const block of blocks) {
    const content = templateContent(block);
    if (content.kind === 'blank') {
      blank.push(block);
      continue;
    }
    if (content.kind === 'filled') {
      const at = first.get(content.identity);
      if (at !== undefined) {
        const lines = againAt.get(at) ?? [];
        lines.push(block.headerLine);
        againAt.set(at, lines);
        continue;
      }
      first.set(content.identity, kept.length);
    }
    kept.push(block);
  }
  return { kept, againAt, blank };
}
