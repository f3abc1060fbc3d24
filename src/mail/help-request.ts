/**
 * HELP: a message whose Subject, or first line of text, is `help` or `?` (any case) asks how to
 * use the mailbox. Whether it also holds a template is the caller's question: a template is
 * always processed, and then the message is not a request for help.
 */

/** `help`, `HELP.`, `Help!`, `?`, `Re: help`: one word, alone on its line. */
const HELP_LINE = /^(?:(?:re|aw|sv|antw|fwd?)\s*:\s*)*(?:help|\?)\s*[.!?]*$/i;

export function isHelpRequest(mail: {
  readonly subject: string | undefined;
  readonly text: string;
}): boolean {
  if (HELP_LINE.test((mail.subject ?? '').trim())) return true;
  const firstLine = mail.text.split('\n').find((line) => line.trim() !== '');
  return firstLine !== undefined && HELP_LINE.test(firstLine.trim());
}
