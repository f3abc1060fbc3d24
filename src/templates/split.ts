/**
 * Finds the `Template: NAME-X.Y` ... `END OF TEMPLATE` blocks in a message's text.
 * Quoted lines (`> ...`) are ignored entirely: a template quoted in a reply is not a submission.
 * Line numbers here are 1-based in the whole text; parse-template.ts turns problems' lines into
 * lines counted from each template's `Template:` line, as replies number the echo.
 */

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

/**
 * `Template: NAME-X.Y`. The name must look like a form name (letters, a dash): "Template:
 * attached" in a covering note is prose, not a template; `ARIN-FOOBAR-5.0` is one (unknown).
 */
const HEADER = /^\s*Template\s*:\s*([A-Za-z][\w.]*-[\w.-]*)/i;
const END = /^\s*END\s+OF\s+TEMPLATE\b/i;
const QUOTED = /^\s*>/;

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
    if (QUOTED.test(raw)) continue;
    const header = HEADER.exec(raw);
    if (header) {
      // A new header before END OF TEMPLATE: the open block was never closed.
      close(undefined, lastContentLine);
      open = { header: header[1] ?? '', headerLine: line, body: [] };
      lastContentLine = line;
      continue;
    }
    if (!open) continue;
    if (END.test(raw)) {
      close(line, line);
      continue;
    }
    open.body.push({ text: raw, line });
    if (raw.trim().length > 0) lastContentLine = line;
  }
  close(undefined, lastContentLine);
  return blocks;
}
