/**
 * What HTML we agree to convert, checked before any HTML parser sees it. htmlparser2 keeps its
 * open elements in an array it grows at the front, so nesting costs quadratic time (100,000
 * nested `<div>` took 1.5 s of CPU, 400,000 took 70 s) and html-to-text walks the tree by
 * recursion (a few thousand levels overflow the stack). Every tag costs a few microseconds
 * more. This scan is one pass over the characters, with no tree and no tokenizer, and stops at
 * the first limit passed.
 */
import { type Problem, problem } from '../shared/index.ts';

export interface HtmlLimits {
  /** Characters of HTML; a filled template is a few KiB even in the heaviest client's HTML. */
  readonly maxChars: number;
  /** Start and end tags; a client's HTML spends about eight per line of text. */
  readonly maxTags: number;
  /** Elements open inside each other; mail clients nest tables a few dozen deep at most. */
  readonly maxDepth: number;
}

/** About 0.1 s of conversion at the worst this machine measured, far above any real template. */
export const HTML_LIMITS: HtmlLimits = { maxChars: 1_000_000, maxTags: 40_000, maxDepth: 256 };

/** Elements that never hold others, so they open nothing (htmlparser2's list). */
const VOID = new Set([
  'area',
  'base',
  'basefont',
  'br',
  'col',
  'command',
  'embed',
  'frame',
  'hr',
  'img',
  'input',
  'isindex',
  'keygen',
  'link',
  'meta',
  'param',
  'source',
  'track',
  'wbr',
]);

const P = ['p'];
const FORM = ['input', 'option', 'optgroup', 'select', 'button', 'datalist', 'textarea'];
/**
 * An element that closes the open ones named, while they are the innermost (`<p>a<p>b`, `<li>`,
 * table cells and rows): htmlparser2's table, so that nesting is counted as it will be built.
 */
const OPENING_CLOSES = new Map<string, ReadonlySet<string>>(
  Object.entries({
    tr: ['tr', 'th', 'td'],
    th: ['th'],
    td: ['thead', 'th', 'td'],
    body: ['head', 'link', 'script'],
    li: ['li'],
    option: ['option'],
    optgroup: ['optgroup', 'option'],
    dd: ['dd', 'dt'],
    dt: ['dd', 'dt'],
    rt: ['rt', 'rp'],
    rp: ['rt', 'rp'],
    tbody: ['thead', 'tbody'],
    tfoot: ['thead', 'tbody'],
    ...Object.fromEntries(FORM.filter((t) => !['option', 'optgroup'].includes(t)).map((t) => [t, FORM])),
    ...Object.fromEntries(
      [
        'p',
        'h1',
        'h2',
        'h3',
        'h4',
        'h5',
        'h6',
        'address',
        'article',
        'aside',
        'blockquote',
        'details',
        'div',
        'dl',
        'fieldset',
        'figcaption',
        'figure',
        'footer',
        'form',
        'header',
        'hr',
        'main',
        'nav',
        'ol',
        'pre',
        'section',
        'table',
        'ul',
      ].map((t) => [t, P]),
    ),
  }).map(([name, closes]) => [name, new Set(closes)]),
);

export interface HtmlComplexity {
  readonly chars: number;
  readonly tags: number;
  /** The deepest nesting seen (up to where the scan stopped). */
  readonly depth: number;
}

const isLetter = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
/** Where a tag name ends for the tokenizer: whitespace, "/" or ">". */
const endsName = (c: number) =>
  c === 32 || c === 9 || c === 10 || c === 12 || c === 13 || c === 47 || c === 62;

/**
 * Counts tags and nesting as htmlparser2 builds it, stopping once a limit is passed (the counts
 * then say which). A start tag first closes the innermost elements it implies closed; void
 * elements open nothing, but `<div/>` opens a div (HTML ignores the slash); an end tag closes
 * its element and whatever is still open inside it, and one that matches nothing open is
 * ignored. Text that the tokenizer reads as text (inside <script>, a quoted ">") may be counted
 * as tags here: counting more is safe. The open elements are never more than maxDepth + 1, so
 * each step costs a bounded search.
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
      tags++;
      const at = open.lastIndexOf(tagName(html, i + 2));
      if (at >= 0) open.length = at;
      if (tags > limits.maxTags) break;
      end = html.indexOf('>', i + 2);
    } else if (isLetter(next)) {
      tags++;
      const name = tagName(html, i + 1);
      const closes = OPENING_CLOSES.get(name);
      while (closes && open.length > 0 && closes.has(open[open.length - 1]!)) open.pop();
      if (!VOID.has(name)) {
        open.push(name);
        if (open.length > deepest) deepest = open.length;
      }
      if (tags > limits.maxTags || deepest > limits.maxDepth) break;
      end = html.indexOf('>', i + 1);
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
  while (to < html.length && !endsName(html.charCodeAt(to))) to++;
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
