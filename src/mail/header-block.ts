/**
 * Where a raw message's header block ends, and the fields in it. The one way the project splits
 * headers from body and a header block into fields: the ingress reads its cheap look at a message
 * here, the worker and lint decide whom to answer from it before any MIME parser runs, and the
 * console walks every MIME entity of the raw view with it. It ends where mailparser's splitter
 * (mailsplit) ends it, at the first line that is empty ("\n" or "\r\n"), so a body line such as
 * `Reply-To:` after a mixed line ending ("\n\r\n") is never read as a header by one and as body by
 * the other; and it starts a field where mailsplit does (a line that does not begin with a space or
 * a tab, the first line always).
 */

const LF = 0x0a;
const CR = 0x0d;

/** Bytes (a Buffer) or one character per byte or code unit (a string): both are read the same way. */
type Raw = Buffer | string;

const codeAt = (raw: Raw, at: number): number | undefined =>
  typeof raw === 'string' ? (at < raw.length ? raw.charCodeAt(at) : undefined) : raw[at];

const newlineFrom = (raw: Raw, at: number): number =>
  typeof raw === 'string' ? raw.indexOf('\n', at) : raw.indexOf(LF, at);

/** Positions in a raw message or MIME entity: its header lines end at `fieldsEnd` (their own line ends included), the empty line after them at `bodyStart`. */
export interface HeaderSection {
  readonly fieldsEnd: number;
  /** Equal to fieldsEnd when there is no empty line: then the whole entity is header lines. */
  readonly bodyStart: number;
}

/** Where the header lines and the empty line after them end (see HeaderSection). */
export function headerSection(raw: Raw): HeaderSection {
  let lineStart = 0;
  while (lineStart < raw.length) {
    const first = codeAt(raw, lineStart);
    if (first === LF) return { fieldsEnd: lineStart, bodyStart: lineStart + 1 };
    if (first === CR && codeAt(raw, lineStart + 1) === LF)
      return { fieldsEnd: lineStart, bodyStart: lineStart + 2 };
    const newline = newlineFrom(raw, lineStart);
    if (newline < 0) break;
    lineStart = newline + 1;
  }
  return { fieldsEnd: raw.length, bodyStart: raw.length };
}

/** The header block: everything before the first empty line (the whole message if there is none), without the line end before it. */
export function headerBlock(raw: Buffer): Buffer;
export function headerBlock(raw: string): string;
export function headerBlock(raw: Raw): Raw {
  const { fieldsEnd, bodyStart } = headerSection(raw);
  const lineEnd = fieldsEnd === bodyStart || fieldsEnd === 0 ? 0 : codeAt(raw, fieldsEnd - 2) === CR ? 2 : 1;
  return typeof raw === 'string' ? raw.slice(0, fieldsEnd - lineEnd) : raw.subarray(0, fieldsEnd - lineEnd);
}

/** One field of a header block as written. */
export interface HeaderFieldLines {
  /** The text before the first line's colon, trimmed; undefined when that line has none (not a field). */
  readonly name: string | undefined;
  /** The field's lines as received, folding and line ends included. */
  readonly lines: string;
}

/** The fields of a header block (of a whole message or entity: it stops at the block's end), in order, nothing dropped. */
export function headerFieldLines(raw: string): HeaderFieldLines[] {
  const block = raw.slice(0, headerSection(raw).fieldsEnd);
  const fields: { name: string | undefined; lines: string }[] = [];
  let at = 0;
  while (at < block.length) {
    const newline = block.indexOf('\n', at);
    const end = newline < 0 ? block.length : newline + 1;
    const line = block.slice(at, end);
    const last = fields[fields.length - 1];
    if (last && (line[0] === ' ' || line[0] === '\t')) {
      last.lines += line;
    } else {
      const colon = line.indexOf(':');
      fields.push({ name: colon > 0 ? line.slice(0, colon).trim() : undefined, lines: line });
    }
    at = end;
  }
  return fields;
}

/** A field's value on one line: folding undone, each line trimmed and joined by a space. */
export function unfoldedValue(field: HeaderFieldLines): string {
  return field.lines
    .slice(field.lines.indexOf(':') + 1)
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
    .join(' ');
}
