/**
 * The lines that give a message's text its template structure, as a person sees them: the
 * `Template: NAME-X.Y` line that opens a template, `END OF TEMPLATE`, and a quoted (`>`) line.
 * The templates room splits templates with them; the mail room asks whether a part holds a
 * template at all (which alternative of a message to read). One definition for both.
 *
 * Text copied from web pages, wikis, chat and word processors carries characters nobody sees:
 * a zero-width space (U+200B) or word joiner (U+2060) at a line's start, a soft hyphen (U+00AD)
 * inside a word, a byte order mark (U+FEFF) pasted mid-text, left-to-right marks (U+200E) from
 * right-to-left locales, zero-width (non-)joiners (U+200C/D). They are Unicode's format
 * characters (category Cf, and the other default-ignorable code points): a line is read as if they
 * were not there, so the sender's visible
 * `Template: ARIN-POC-5.1` is one. Visible look-alikes of blanks (NBSP and the other Unicode
 * spaces) are blanks already to `\s`.
 */

/**
 * Unicode's format characters (Cf) and its default-ignorable code points (DI: also the Hangul
 * fillers U+3164 and U+FFA0, the combining grapheme joiner, variation selectors), which render
 * as nothing.
 */
const INVISIBLE = /[\p{Cf}\p{DI}]/gu;
const HAS_INVISIBLE = /[\p{Cf}\p{DI}]/u;

/** The line without its invisible format characters (the same string when it holds none). */
export function withoutInvisible(line: string): string {
  return HAS_INVISIBLE.test(line) ? line.replace(INVISIBLE, '') : line;
}

/** Whether the text holds an invisible format character anywhere. */
export function holdsInvisible(text: string): boolean {
  return HAS_INVISIBLE.test(text);
}

/**
 * `Template: NAME-X.Y`. The name must look like a form name (letters, a dash): "Template:
 * attached" in a covering note is prose, not a template; `ARIN-FOOBAR-5.0` is one (unknown).
 */
const HEADER = /^\s*Template\s*:\s*([A-Za-z][\w.]*-[\w.-]*)/i;
const END = /^\s*END\s+OF\s+TEMPLATE\b/i;
const QUOTED = /^\s*>/;

/** What a line is to the template grammar: one pass over it for its invisible characters, then the three shapes. */
export type TemplateLine =
  | { readonly kind: 'quoted' }
  | { readonly kind: 'header'; readonly name: string }
  | { readonly kind: 'end' }
  | { readonly kind: 'other'; readonly visible: string };

const QUOTED_LINE: TemplateLine = { kind: 'quoted' };
const END_LINE: TemplateLine = { kind: 'end' };

/** The line's shape, read without its invisible characters (`visible`: the line so read). */
export function templateLine(raw: string): TemplateLine {
  const line = withoutInvisible(raw);
  if (QUOTED.test(line)) return QUOTED_LINE;
  const header = HEADER.exec(line);
  if (header) return { kind: 'header', name: header[1]! };
  if (END.test(line)) return END_LINE;
  return { kind: 'other', visible: line };
}

/** A quoted line (`> ...`): what someone else wrote, never read for templates. */
export function isQuotedLine(line: string): boolean {
  return QUOTED.test(withoutInvisible(line));
}

/** `template`, invisible characters between its letters allowed. */
const TEMPLATE_WORD = new RegExp([...'template'].join('[\\p{Cf}\\p{DI}]*'), 'iu');

/** Quote markers at a line's start (`> > `), as mail programs nest them. */
const QUOTE_MARKERS = /^(?:[\s\p{Cf}\p{DI}]*>)+/u;

/**
 * The form a line names when it opens a template behind quote markers (`> Template: ARIN-POC-5.1`,
 * `> > Template: ...`), or as it stands; undefined for any other line. Our replies' echo
 * (`> 1 | Template: ...`) opens none: its number stands before the word.
 */
export function templateNameBehindQuotes(raw: string): string | undefined {
  const shape = templateLine(raw.replace(QUOTE_MARKERS, ''));
  return shape.kind === 'header' ? shape.name : undefined;
}

/**
 * Whether any line of the text opens a template: not quoted, or (`quotedToo`) also behind quote
 * markers, where someone else's template stands.
 */
export function holdsTemplateHeader(text: string, quotedToo = false): boolean {
  // Cheap before the line walk: no `template` anywhere, no header.
  if (!TEMPLATE_WORD.test(text)) return false;
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (templateLine(quotedToo ? line.replace(QUOTE_MARKERS, '') : line).kind === 'header') return true;
  }
  return false;
}
