/**
 * A template plainly in a message's bytes that no part we read held: the message's MIME structure
 * is broken (a billing script's hand-made MIME, a mislabelled part). Asked only when extraction
 * found no template at all, not even a quoted or forwarded one, so a message read as its parts
 * say is never read a second way. Where a mail program would still show the text, it is read as
 * text: a multipart without a boundary, or whose boundary never occurs, is its raw body (Thunderbird
 * and Outlook show it so); a part labelled base64 whose body holds characters base64 never does is
 * its text. Elsewhere (the template stands in a multipart's preamble, which RFC 2046 says to
 * ignore and no mail program shows; a part not read for templates: not text, or past 1 MiB) the
 * message is refused E_BAD_MIME naming the part, never "no template was found".
 */
import { holdsTemplateHeader, type Problem, problem, redactApiKeys } from '../shared/index.ts';
import { decodeText } from './decode.ts';
import { headerFieldLines, headerSection, unfoldedValue } from './header-block.ts';

export type BrokenMimeReading =
  /** The text to read for templates, and what was broken (for the docs and tests). */
  | { readonly kind: 'text'; readonly text: string; readonly broken: string }
  | { readonly kind: 'refused'; readonly problem: Problem };

/** Deeper than this, or more parts, is not walked: mailparser's own limits are near. */
const MAX_DEPTH = 8;
const MAX_PARTS = 200;

/** Anything but the base64 alphabet, padding and white space: such a body is not base64. */
const NOT_BASE64 = /[^A-Za-z0-9+/=\s]/;

interface EntityFacts {
  readonly type: string;
  readonly boundary: string | undefined;
  readonly charset: string | undefined;
  readonly encoding: string;
  readonly filename: string | undefined;
}

const param = (value: string, name: string): string | undefined => {
  const m = new RegExp(`;\\s*${name}\\*?\\s*=\\s*(?:"([^"]*)"|([^\\s;]+))`, 'i').exec(value);
  const v = m ? (m[1] ?? m[2]) : undefined;
  return v === undefined || v.trim() === '' ? undefined : v;
};

function factsOf(entity: string): EntityFacts {
  const fields = headerFieldLines(entity);
  const value = (name: string) => {
    const f = fields.find((x) => x.name?.toLowerCase() === name);
    return f ? unfoldedValue(f) : '';
  };
  const contentType = value('content-type');
  const disposition = value('content-disposition');
  return {
    type: (contentType.split(';')[0] ?? '').trim().toLowerCase() || 'text/plain',
    boundary: param(contentType, 'boundary'),
    charset: param(contentType, 'charset'),
    encoding: value('content-transfer-encoding').toLowerCase(),
    filename: param(disposition, 'filename') ?? param(contentType, 'name'),
  };
}

const describe = (f: EntityFacts) =>
  `${/^[aeiou]/.test(f.type) ? 'an' : 'a'} ${f.type} part${f.filename ? ` ("${redactApiKeys(f.filename).slice(0, 100)}")` : ''}`;

/** The body's lines that are delimiters of `boundary` (`--b` or `--b--`, trailing blanks allowed). */
function delimiterLines(body: string, boundary: string): { start: number; end: number; close: boolean }[] {
  const found: { start: number; end: number; close: boolean }[] = [];
  let at = 0;
  while (at < body.length && found.length <= MAX_PARTS) {
    const newline = body.indexOf('\n', at);
    const end = newline < 0 ? body.length : newline + 1;
    const line = body.slice(at, end).replace(/[ \t\r\n]+$/, '');
    if (line === `--${boundary}` || line === `--${boundary}--`)
      found.push({ start: at, end, close: line.endsWith('--') && line !== `--${boundary}` });
    at = end;
  }
  return found;
}

/** `undefined`: no unread template here (none at all, or only in a forwarded message). */
function walk(entity: string, depth: number): BrokenMimeReading | undefined {
  const { bodyStart } = headerSection(entity);
  const body = entity.slice(bodyStart);
  if (!holdsTemplateHeader(body)) return undefined;
  const facts = factsOf(entity);
  const asText = (broken: string): BrokenMimeReading => ({
    kind: 'text',
    text: decodeText(Buffer.from(body, 'latin1'), facts.charset),
    broken,
  });
  // Someone else's message: not read for templates, and the extraction said so already.
  if (facts.type.startsWith('message/')) return undefined;
  if (facts.type.startsWith('multipart/')) {
    if (facts.boundary === undefined) return asText(`${facts.type} without a boundary`);
    const delimiters = delimiterLines(body, facts.boundary);
    if (delimiters.length === 0)
      return asText(`${facts.type} whose boundary "${facts.boundary}" never occurs`);
    if (holdsTemplateHeader(body.slice(0, delimiters[0]!.start)))
      return refused(
        `the template stands before the first part of the ${facts.type} message (its preamble), which mail programs do not show and we do not read: send it as the text of the message or of one of its parts`,
      );
    if (depth >= MAX_DEPTH) return refused(`the template stands in a ${facts.type} nested too deep to read`);
    for (let i = 0; i < delimiters.length - 1 && !delimiters[i]!.close; i++) {
      const found = walk(body.slice(delimiters[i]!.end, delimiters[i + 1]!.start), depth + 1);
      if (found) return found;
    }
    const last = delimiters[delimiters.length - 1]!;
    // An unclosed last part runs to the end of the message, as mail programs read it.
    if (!last.close) return walk(body.slice(last.end), depth + 1);
    return undefined;
  }
  if (facts.encoding === 'base64' && NOT_BASE64.test(body))
    return asText(`${describe(facts)} labelled base64 whose text is not base64`);
  return refused(
    `the template stands in ${describe(facts)}, which was not read for templates (only the text of the message and text attachments up to 1 MiB are): send it as the text of the message or as a .txt attachment`,
  );
}

const refused = (why: string): BrokenMimeReading => ({
  kind: 'refused',
  problem: problem('E_BAD_MIME', `the message's MIME structure is broken: ${why}`),
});

/**
 * How a message whose extraction found no template at all is read after all, or refused; undefined
 * when its bytes hold no template header outside a forwarded message either (E_NO_TEMPLATE stands).
 */
export function readBrokenMime(raw: Buffer): BrokenMimeReading | undefined {
  const s = raw.toString('latin1');
  if (!holdsTemplateHeader(s)) return undefined;
  return walk(s, 0);
}
