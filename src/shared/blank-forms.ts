/**
 * The blank forms we publish (templates/*.txt, one file per form and version, held to the
 * parser's definitions by test/templates/blank-forms.test.ts): the one reading of that folder,
 * for the forms served over HTTP (the public room's /templates/) and mailed on request (the
 * replies), so both offer the same forms with the same text.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the blank forms shipped with hostmasterd live (`templates/` at the package's root). */
const BLANK_FORMS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../templates');

/** One blank form, as published in templates/ (`ARIN-POC-5.1`, and its text). */
export interface BlankForm {
  readonly name: string;
  /** Lines end in LF whatever the file has: HTTP serves it so, a mail's MIME layer writes CRLF. */
  readonly text: string;
}

/** A form is a `<FORM>-<major>.<minor>.txt` (`ARIN-POC-5.1.txt`): a stray `ARIN-NOTES.txt` is none. */
const FORM_FILE = /^(ARIN-[A-Za-z0-9-]+-\d+\.\d+)\.txt$/;

/** Every blank form of the folder by name (`ARIN-POC-5.1`), in name order, read once. */
export function readBlankForms(dir: string = BLANK_FORMS_DIR): ReadonlyMap<string, BlankForm> {
  const forms = new Map<string, BlankForm>();
  for (const entry of fs
    .readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const match = entry.isFile() ? FORM_FILE.exec(entry.name) : null;
    if (!match) continue;
    const name = match[1]!;
    forms.set(name, {
      name,
      text: fs.readFileSync(path.join(dir, entry.name), 'utf8').replace(/\r\n/g, '\n'),
    });
  }
  return forms;
}
