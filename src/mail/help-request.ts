/**
 * HELP: a message whose Subject, or first line of text, is `help` or `?` (any case) asks how to
 * use the mailbox. Whether it also holds a template is the caller's question: a template is
 * always processed, and then the message is not a request for help. An API key or the dry-run
 * word beside it (`help API-7F3A-...`, `API-7F3A-... - Help`, `help DRY-RUN`) asks for nothing
 * more: the guide itself says to authorize with a key in the Subject.
 */
import { requestWords } from './subject-words.ts';

/**
 * `help`, `HELP.`, `Help!`, `?`, `Re: help`: one word, alone on its line, once keys and the
 * dry-run word are out (the separators left around them, `-`, `:`, `,`, count for nothing).
 */
const HELP_LINE = /^(?:(?:re|aw|sv|antw|fwd?)\s*:\s*)*[-:,;\s]*(?:help|\?)[-:,;\s]*[.!?]*$/i;

export function isHelpRequest(mail: {
  readonly subject: string | undefined;
  readonly text: string;
}): boolean {
  if (HELP_LINE.test(requestWords(mail.subject ?? ''))) return true;
  const firstLine = mail.text.split('\n').find((line) => line.trim() !== '');
  return firstLine !== undefined && HELP_LINE.test(requestWords(firstLine));
}
