/**
 * The one reading of the blank forms' folder (served over HTTP by the public room, mailed on
 * request by the worker): which files are forms, and the text they are offered with.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readBlankForms } from '../../src/shared/index.ts';

describe('readBlankForms', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'blank-forms-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('takes only <FORM>-<major>.<minor>.txt files, by name in order, with LF line ends', () => {
    fs.writeFileSync(
      path.join(dir, 'ARIN-POC-5.1.txt'),
      'Template: ARIN-POC-5.1\r\n01. Action:\r\nEND OF TEMPLATE\r\n',
    );
    fs.writeFileSync(path.join(dir, 'ARIN-ORG-5.2.txt'), 'Template: ARIN-ORG-5.2\nEND OF TEMPLATE\n');
    // Neither a stray note beside the forms nor a folder named like one is a form.
    fs.writeFileSync(path.join(dir, 'ARIN-NOTES.txt'), 'not a form\n');
    fs.writeFileSync(path.join(dir, 'ARIN-POC-5.1.txt.orig'), 'a backup\n');
    fs.mkdirSync(path.join(dir, 'ARIN-NET-MOD-5.3.txt'));
    const forms = readBlankForms(dir);
    expect([...forms.keys()]).toEqual(['ARIN-ORG-5.2', 'ARIN-POC-5.1']);
    expect(forms.get('ARIN-POC-5.1')).toEqual({
      name: 'ARIN-POC-5.1',
      text: 'Template: ARIN-POC-5.1\n01. Action:\nEND OF TEMPLATE\n',
    });
  });

  it('reads every file the parser has a definition for from the shipped folder', () => {
    const shipped = fs
      .readdirSync(new URL('../../templates/', import.meta.url))
      .filter((name) => name.endsWith('.txt'))
      .map((name) => name.replace(/\.txt$/, ''))
      .sort();
    expect([...readBlankForms().keys()]).toEqual(shipped);
  });
});
