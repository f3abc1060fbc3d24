/**
 * What HTML we agree to convert, checked before any HTML parser sees it. htmlparser2 keeps its
 * open elements in an array it grows at the front, so nesting costs quadratic time (100,000
 * nested `<div>` took 1.5 s of CPU, 400,000 took 70 s) and html-to-text walks the tree by
 * recursion (a few thousand levels overflow the stack). Every tag costs a few microseconds
 * more. This scan is one pass over the characters, with no tree and no tokenizer, and stops at
 * the first limit passed.
 */
import { type Problem, problem } from '../shared/errors.ts';

export interface HtmlLimits {
  /** Characters of HTML; a filled template is a few KiB even in the heaviest client's HTML. */
  readonly maxChars: number;
  /** Start tags; a client's HTML spends about four per line of text. */
  readonly maxTags: number;
  /** Elements open inside each other; mail clients nest tables a few dozen deep at most. */
  readonly maxDepth: number;
}

/** About 0.1 s of conversion at the worst this machine measured, far above any real template. */
export const HTML_LIMITS: HtmlLimits = { maxChars: 1_000_000, maxTags: 20_000, maxDepth: 256 };

/** Elements that never hold others, so they open nothing. */
const VOID = new Set([
  'area',
  'base',
  'br',
  'col',
  'embed',
  'hr',
  'img',
  'input',
  'link',
  'meta',
  'param',
  'source',
  'track',
  'wbr',
]);
/**
 * Elements whose next sibling of their kind closes them (`<p>a<p>b`, `<li>`, table cells and
 * rows): HTML parsers do not nest them, so they are counted as tags but not as depth. Nesting
 * built with them needs other elements between (`<li><ul><li>`), and those count.
 */
const SELF_CLOSING_SIBLINGS = new Set([
  'p',
  'li',
  'dt',
  'dd',
  'option',
  'optgroup',
  'tr',
  'td',
  'th',
  'thead',
  'tbody',
  'tfoot',
  'rt',
  'rp',
]);

export interface HtmlComplexity {
  readonly chars: number;
  readonly tags: number;
  /** The deepest nesting seen (up to where the scan stopped). */
  readonly depth: number;
}

const isLetter = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const isNameChar = (c: number) => isLetter(c) || (c >= 48 && c <= 57) || c === 45 || c === 58;

/**
 * Counts tags and nesting, stopping once a limit is passed (the counts then say which). An end
 * tag closes its element and whatever is still open inside it, as parsers do with `</div>`
 * after an unclosed `<font>`; one that matches nothing open is ignored. The open elements are
 * never more than maxDepth + 1, so closing costs a bounded search.
 */
export function measureHtml(html: string, limits: HtmlLimits = HTML_LIMITS): HtmlComplexity {
  if (html.length > limits.maxChars) return { chars: html.length, tags: 0, depth: 0 };
  const open: string[] = [];
  let tags = 0;
  let deepest = 0;
  let i = html.indexOf('<');
  while (i >= 0 && i < html.length - 1) {
    const next = html.charCodeAt(i + 1);
    let end: number;
    if (next === 33 /* ! */) {
      // A comment ends at -->, a declaration or CDATA at >.
      end = html.startsWith('<!--', i) ? html.indexOf('-->', i + 4) : html.indexOf('>', i + 2);
    } else if (next === 47 /* / */ && isLetter(html.charCodeAt(i + 2))) {
      const at = open.lastIndexOf(tagName(html, i + 2));
      if (at >= 0) open.length = at;
      end = html.indexOf('>', i + 2);
    } else if (isLetter(next)) {
      tags++;
      const name = tagName(html, i + 1);
      end = html.indexOf('>', i + 1);
      const selfClosed = end > 0 && html.charCodeAt(end - 1) === 47; /* /> */
      if (!VOID.has(name) && !SELF_CLOSING_SIBLINGS.has(name) && !selfClosed) {
        open.push(name);
        if (open.length > deepest) deepest = open.length;
      }
      if (tags > limits.maxTags || deepest > limits.maxDepth) break;
    } else {
      end = i + 1; // a lone "<" in text
    }
    if (end < 0) break;
    i = html.indexOf('<', end);
  }
  return { chars: html.length, tags, depth: deepest };
}

function tagName(html: string, from: number): string {
  let to = from;
  while (to < html.length && to - from < 16 && isNameChar(html.charCodeAt(to))) to++;
  return html.slice(from, to).toLowerCase();
}

const count = (n: number) => n.toLocaleString('en-US');

/** E_HTML_TOO_COMPLEX when the HTML passes a limit, naming the limit and the way out. */
export function checkHtml(html: string, limits: HtmlLimits = HTML_LIMITS): Problem | undefined {
  const measured = measureHtml(html, limits);
  const passed =
    measured.chars > limits.maxChars
      ? `it is ${count(measured.chars)} characters long, more than the ${count(limits.maxChars)} we read`
      : measured.tags > limits.maxTags
        ? `it has more than ${count(limits.maxTags)} tags`
        : measured.depth > limits.maxDepth
          ? `its elements are nested more than ${count(limits.maxDepth)} deep`
          : undefined;
  if (!passed) return undefined;
  return problem(
    'E_HTML_TOO_COMPLEX',
    `the HTML of this message was not read: ${passed} (we read HTML of at most ${count(limits.maxChars)} characters, ${count(limits.maxTags)} tags and ${limits.maxDepth} levels of nesting); send the templates as plain text, in the body or as a .txt attachment`,
  );
}
