/**
 * Reply texts are files staff may reword; a typo must stop the daemon at start with the file and
 * line at fault, never turn up half-filled in a customer's mailbox.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CONTRACT_LABELS,
  labelsOf,
  loadReplyTexts,
  REPLY_TEXTS_DIR,
  readReplyTexts,
} from '../../src/replies/index.ts';
import { parsePhrases } from '../../src/replies/texts.ts';

const copies: string[] = [];
afterEach(() => {
  for (const dir of copies.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function copyOfShippedTexts(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reply-texts-'));
  copies.push(dir);
  fs.cpSync(REPLY_TEXTS_DIR, dir, { recursive: true });
  return dir;
}

describe('the shipped texts', () => {
  it('load, and their block words are the contract the parser reads', () => {
    const texts = loadReplyTexts();
    expect(labelsOf(texts)).toEqual(CONTRACT_LABELS);
    expect(Object.keys(texts.refusals)).toEqual(
      expect.arrayContaining(['default', 'E_NO_TEMPLATE', 'E_HTML_ONLY', 'E_TOO_MANY_TEMPLATES']),
    );
  });

  it('keep their prose within 72 columns, so plain ASCII replies travel unencoded', () => {
    const texts = loadReplyTexts();
    const prose = [...Object.values(texts.prose), ...Object.values(texts.refusals)];
    for (const text of prose)
      for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(72);
  });
});

describe('a reworded text with a mistake', () => {
  it('an unknown placeholder names the file and what it may use', () => {
    const dir = copyOfShippedTexts();
    fs.appendFileSync(path.join(dir, 'footer.txt'), '\nTicket {tiket}\n');
    const result = readReplyTexts(dir);
    expect(!result.ok && result.error.code).toBe('E_REPLY_TEXTS');
    expect(!result.ok && result.error.message).toContain('footer.txt: unknown placeholder {tiket}');
  });

  it('a missing file stops the start with its path', () => {
    const dir = copyOfShippedTexts();
    fs.rmSync(path.join(dir, 'blank-forms.txt'));
    expect(() => loadReplyTexts(dir)).toThrow(/E_REPLY_TEXTS: .*blank-forms\.txt/);
  });

  it('a refusal file must be default.txt or named after a code', () => {
    const dir = copyOfShippedTexts();
    fs.writeFileSync(path.join(dir, 'refusals', 'no template.txt'), 'x');
    expect(readReplyTexts(dir)).toMatchObject({
      ok: false,
      error: { message: expect.stringContaining('no template.txt') },
    });
  });

  it('a refusal file named after a code the catalogue does not have stops the start (a misspelt code)', () => {
    const dir = copyOfShippedTexts();
    fs.renameSync(
      path.join(dir, 'refusals', 'E_NO_TEMPLATE.txt'),
      path.join(dir, 'refusals', 'E_NO_TEMPLATES.txt'),
    );
    expect(() => loadReplyTexts(dir)).toThrow(
      /E_REPLY_TEXTS: refusals\/E_NO_TEMPLATES\.txt: no code of the error catalogue .* names this file/,
    );
  });

  it('a refusal file the catalogue names is required', () => {
    const dir = copyOfShippedTexts();
    fs.rmSync(path.join(dir, 'refusals', 'E_HTML_ONLY.txt'));
    expect(() => loadReplyTexts(dir)).toThrow(/E_REPLY_TEXTS: .*refusals\/E_HTML_ONLY\.txt/);
  });

  it('phrases: unknown, repeated, empty and missing keys, labels with a colon', () => {
    const shipped = fs.readFileSync(path.join(REPLY_TEXTS_DIR, 'phrases.txt'), 'utf8');
    expect(parsePhrases(`${shipped}\nlabel.tiket = Ticket\n`)).toMatchObject({
      ok: false,
      error: { message: 'phrases.txt: unknown key "label.tiket"' },
    });
    expect(parsePhrases(`${shipped}\nlabel.note = Note\n`)).toMatchObject({
      ok: false,
      error: { message: 'phrases.txt: "label.note" is given twice' },
    });
    expect(parsePhrases(shipped.replace('label.note = Note', 'label.note =')).ok).toBe(false);
    expect(parsePhrases(shipped.replace(/^summary\.one.*$/m, ''))).toMatchObject({
      ok: false,
      error: { message: 'phrases.txt: missing summary.one' },
    });
    expect(parsePhrases(shipped.replace('label.ticket = Ticket', 'label.ticket = Ticket:'))).toMatchObject({
      ok: false,
      error: { message: 'phrases.txt: "label.ticket" must be one word without a colon' },
    });
    expect(parsePhrases('just words')).toMatchObject({ ok: false, error: { line: 1 } });
  });
});
