/**
 * Stable Message-IDs: the same submission always yields the same ids, so a resent reply is
 * recognisable as the same message (and the outbox's unique index makes a re-run add nothing).
 *   digest or refusal      <S123.reply@host>
 *   per-template reply     <S123.reply.2@host>
 *   a later answer         <S123.reply.<tag>@host>, <S123.reply.<tag>.2@host> (staff reprocess, override...)
 *   notification           <S123.notify.2.DEMO1-ARIN@host>, a staff undo's <S123.notify.undo-<audit row>.2.DEMO1-ARIN@host>
 */

/** Keeps a msg-id part within dot-atom text: anything else becomes '-'. */
function atom(part: string): string {
  const cleaned = part
    .replace(/[^A-Za-z0-9._+-]/g, '-')
    .replace(/\.{2,}/g, '.')
    .replace(/^\.|\.$/g, '');
  return cleaned === '' ? 'x' : cleaned;
}

function domain(hostname: string): string {
  const cleaned = hostname
    .toLowerCase()
    .replace(/[^a-z0-9.-]/g, '-')
    .replace(/^[.-]+|[.-]+$/g, '');
  return cleaned === '' ? 'localhost' : cleaned;
}

export function replyMessageId(
  submissionId: string,
  hostname: string,
  part: { readonly templateIndex?: number; readonly tag?: string } = {},
): string {
  const tag = part.tag ? `.${atom(part.tag)}` : '';
  const index = part.templateIndex === undefined ? '' : `.${part.templateIndex}`;
  return `<${atom(submissionId)}.reply${tag}${index}@${domain(hostname)}>`;
}

export function notificationMessageId(
  submissionId: string,
  templateIndex: number,
  handle: string,
  hostname: string,
  tag?: string,
): string {
  const tagged = tag ? `.${atom(tag)}` : '';
  return `<${atom(submissionId)}.notify${tagged}.${templateIndex}.${atom(handle)}@${domain(hostname)}>`;
}
