/**
 * How readers other than ours split a mail's text into lines. A billing system parsing our replies
 * may be written in any language, and each ends a line at more than LF: a reply must be read the
 * same line by line by all of them (docs/reply-format.md, "Every value is on one line").
 */

/** Python's `str.splitlines()`: CRLF, LF, CR, VT, FF, FS, GS, RS, NEL, LS, PS. */
export function pythonLines(text: string): string[] {
  const lines = text.split(/\r\n|[\n\r\v\f\u001C-\u001E\u0085\u2028\u2029]/);
  // splitlines() gives no empty last line for a text that ends in a line break.
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** JavaScript's `^...$` with the `m` flag: CRLF, LF, CR, LS, PS. */
export function multilineRegexLines(text: string): string[] {
  return text.split(/\r\n|[\n\r\u2028\u2029]/);
}

/** Whether every reader sees the same lines: no line break in the text but LF (CRLF). */
export function readersAgree(text: string): boolean {
  const lf = text.replace(/\r\n/g, '\n').replace(/\n$/, '').split('\n');
  const python = pythonLines(text.replace(/\r\n/g, '\n'));
  return (
    python.length === lf.length &&
    multilineRegexLines(text.replace(/\r\n/g, '\n').replace(/\n$/, '')).length === lf.length
  );
}
