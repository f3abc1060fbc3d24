/**
 * The blank forms we publish (templates/*.txt, one file per form and version, held to the
 * parser's definitions by test/templates/blank-forms.test.ts), read once at start so a request
 * for forms by mail is answered with the files as published.
 */
import fs from 'node:fs';
import path from 'node:path';
import { REPLY_TEXTS_DIR } from './texts.ts';
import type { BlankForm } from './types.ts';

/** Where the blank forms shipped with hostmasterd live: the folder above the reply texts. */
export const BLANK_FORMS_DIR = path.dirname(REPLY_TEXTS_DIR);

/** Every `<FORM>-<major>.<minor>.txt` of the folder, by name (`ARIN-POC-5.1`). */
export function readBlankForms(dir: string = BLANK_FORMS_DIR): ReadonlyMap<string, BlankForm> {
  const forms = new Map<string, BlankForm>();
  for (const file of fs.readdirSync(dir).sort()) {
    const match = /^(ARIN-[A-Za-z0-9-]+-\d+\.\d+)\.txt$/.exec(file);
    if (!match) continue;
    const name = match[1]!;
    forms.set(name, { name, text: fs.readFileSync(path.join(dir, file), 'utf8').replace(/\r\n/g, '\n') });
  }
  return forms;
}
