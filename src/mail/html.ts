/**
 * HTML-only mail: some clients send templates as HTML. mailparser's own conversion glues table
 * cells together, so we convert with html-to-text and settings that keep one line per line.
 * HTML past the limits of html-limits.ts is refused before any parser sees it.
 */
import type { HtmlToTextOptions } from 'html-to-text';
import { fail, lazyPackage, ok, type Result } from '../shared/index.ts';
import { checkHtml } from './html-limits.ts';

const htmlToText = lazyPackage<typeof import('html-to-text')>('html-to-text');
let compiled: ((html: string) => string) | undefined;
/** Compiled once, on the first HTML part: html-to-text's `convert` recompiles its options on every call. */
const toText = (html: string): string => {
  compiled ??= htmlToText().compile(HTML_TO_TEXT);
  return compiled(html);
};

const HTML_TO_TEXT: HtmlToTextOptions = {
  wordwrap: false,
  preserveNewlines: true,
  selectors: [
    { selector: 'a', options: { ignoreHref: true } },
    { selector: 'img', format: 'skip' },
    { selector: 'style', format: 'skip' },
    { selector: 'script', format: 'skip' },
    { selector: 'table', format: 'block' },
    { selector: 'tr', format: 'block' },
    { selector: 'td', format: 'inline' },
    { selector: 'p', options: { leadingLineBreaks: 1, trailingLineBreaks: 1 } },
    { selector: 'h1', options: { uppercase: false } },
    { selector: 'h2', options: { uppercase: false } },
    { selector: 'h3', options: { uppercase: false } },
    { selector: 'blockquote', format: 'blockquote', options: { trimEmptyLines: true } },
  ],
};

/**
 * A `<br>` and the source's newline right after it (`line<br />\n`: PHP's nl2br, most HTML
 * mailers). In HTML that newline is white space, and a mail program shows one line break; with
 * newlines preserved (for HTML that has none but them) it would read as a second, empty line after
 * every line, doubling the line numbers the reply gives. The attributes' length is bounded so the
 * search stays linear.
 */
const BR_THEN_NEWLINE = /(<br\b[^<>]{0,200}>)[ \t]*\r?\n/gi;

/** The text of an HTML part, or E_HTML_TOO_COMPLEX when it is too large or nested to read. */
export function htmlToPlainText(html: string): Result<string> {
  const refused = checkHtml(html);
  return refused ? fail(refused) : ok(toText(html.replace(BR_THEN_NEWLINE, '$1')));
}
