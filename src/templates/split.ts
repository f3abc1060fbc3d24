/**
 * Finds the `Template: NAME-X.Y` ... `END OF TEMPLATE` blocks in a message's text.
 * Quoted lines (`> ...`) are ignored entirely: a template quoted in a reply is not a submission.
 * Line numbers here are 1-based in the whole text; parse-template.ts turns problems' lines into
 * lines counted from each template's `Template:` line, as replies number the echo.
 * Lines are read as a person sees them: invisible format characters (a zero-width space pasted
 * from a web page, a soft hyphen, a word joiner) do not hide a `Template:` line, and the body
 * lines handed on have none where they give a line its structure (shared/template-line.ts).
 */
import { holdsInvisible, templateLine, withoutInvisible } from '../shared/index.ts';

export interface NumberedLine {
  readonly text: string;
  readonly line: number;
}

export interface TemplateBlock {
  /** The name after `Template:` exactly as written (may be empty). */
  readonly header: string;
  readonly headerLine: number;
  /** Lines between the header and END OF TEMPLATE, quoted lines left out. */
  readonly body: readonly NumberedLine[];
  /** Line of END OF TEMPLATE; undefined when the block was never closed. */
  readonly endLine?: number;
  /** Header to end (or last body line), as written, quoted lines included, for the echo. */
  readonly text: string;
}

/** Blanks and invisible format characters at the start of a value; one of them alone. */
const EDGE_START = /^[\s\p{Cf}\p{DI}]+/u;
const EDGE_CHARACTER = /^[\s\p{Cf}\p{DI}]$/u;

/** Where the run of blanks and invisible characters ending the text starts (a loop: `/[...]+$/` is quadratic). */
function edgeEndStart(text: string): number {
  let at = text.length;
  while (at > 0) {
    const low = text.charCodeAt(at - 1);
    const width = low >= 0xdc00 && low <= 0xdfff && at > 1 ? 2 : 1;
    if (!EDGE_CHARACTER.test(text.slice(at - width, at))) break;
    at -= width;
  }
  return at;
}

/** The text without the invisible characters among the blanks at its two ends. */
function cleanEdges(text: string): string {
  const start = EDGE_START.exec(text)?.[0].length ?? 0;
  if (start === text.length) return withoutInvisible(text);
  const end = edgeEndStart(text);
  return withoutInvisible(text.slice(0, start)) + text.slice(start, end) + withoutInvisible(text.slice(end));
}

/**
 * A body line as its structure is read: the invisible format characters before its first colon
 * (where a field's number and label stand: `\u200B01. Net\u00ADwork Name:`) and at the edges of
 * what follows it are left out; inside a value they stay, for the value's own checks to judge.
 */
export function readableLine(raw: string): string {
  if (!holdsInvisible(raw)) return raw;
  const colon = raw.indexOf(':');
  if (colon < 0) return cleanEdges(raw);
  return `${withoutInvisible(raw.slice(0, colon))}:${cleanEdges(raw.slice(colon + 1))}`;
}

export function splitLines(text: string): string[] {
  return text.split(/\r\n|\r|\n/);
}

export function splitTemplates(text: string): TemplateBlock[] {
  const lines = splitLines(text);
  const blocks: TemplateBlock[] = [];
  let open: { header: string; headerLine: number; body: NumberedLine[] } | undefined;

  const close = (endLine: number | undefined, lastLine: number) => {
    if (!open) return;
    const from = open.headerLine - 1;
    const to = endLine ?? lastLine;
    const block: TemplateBlock = {
      header: open.header,
      headerLine: open.headerLine,
      body: open.body,
      text: lines.slice(from, to).join('\n'),
      ...(endLine !== undefined ? { endLine } : {}),
    };
    blocks.push(block);
    open = undefined;
  };

  let lastContentLine = 0;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] ?? '';
    const line = i + 1;
    const shape = templateLine(raw);
    if (shape.kind === 'quoted') continue;
    if (shape.kind === 'header') {
      // A new header before END OF TEMPLATE: the open block was never closed.
      close(undefined, lastContentLine);
      open = { header: shape.name, headerLine: line, body: [] };
      lastContentLine = line;
      continue;
    }
    if (!open) continue;
    if (shape.kind === 'end') {
      close(line, line);
      continue;
    }
    open.body.push({ text: shape.visible === raw ? raw : readableLine(raw), line });
    if (shape.visible.trim().length > 0) lastContentLine = line;
  }
  close(undefined, lastContentLine);
  return blocks;
}
