import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { lintCommand, looksLikeMail } from '../../src/commands/lint.ts';
import { commandOutput } from '../support/command-output.ts';

const FIXTURES = join(import.meta.dirname, '../fixtures/mail');

async function lint(...files: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = commandOutput();
  const code = await lintCommand(files, { stdout: io.stdout, stderr: io.stderr });
  const { stdout: out, stderr: err } = io.written();
  return { code, out, err };
}

describe('hostmasterd lint', () => {
  it('exits 0 and describes the request when every template parses; never shows a key', async () => {
    const r = await lint(
      join(FIXTURES, 'attachment-txt-base64.eml'),
      join(FIXTURES, 'legacy-reassign-simple-3.0.eml'),
    );
    expect(r.code).toBe(0);
    expect(r.out).toContain('Template 1 of 1: ARIN-REASSIGN-SIMPLE-5.3 (lines 6-20)');
    expect(r.out).toContain('OK reassign-simple.create: 198.51.100.80/28 to "Bolt Hardware LLC"');
    expect(r.out).toContain('API key: API-****-****-****-7A8B');
    expect(r.out).not.toContain('1A2B');
    expect(r.out).toContain('OK reassign-simple.create: 198.51.100.160/28 to "Old Timer Services"');
  });

  it("says when the daemon would not answer, by the worker's own rule (a list, an auto-reply)", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lint-reply-'));
    const file = join(dir, 'list.eml');
    const template =
      'Template: ARIN-POC-5.1\r\n01. Registration Action: R\r\n02. Existing POC Handle: DEMO1-ARIN\r\nEND OF TEMPLATE\r\n';
    writeFileSync(
      file,
      `From: noc@isp.example\r\nList-Post: <mailto:swip@lists.isp.example>\r\nSubject: POC\r\n\r\n${template}`,
    );
    expect((await lint(file)).out).toContain(
      'note: the daemon would not reply: the message came through a mailing list (List-Post)',
    );
    writeFileSync(
      file,
      `From: noc@isp.example\r\nList-Unsubscribe: <mailto:u@esp.example>\r\nSubject: POC\r\n\r\n${template}`,
    );
    expect((await lint(file)).out).not.toContain('would not reply');
  });

  it('never promises an answer to a sender it cannot verify offline: only an SPF/DKIM-verified address is answered', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lint-whom-'));
    const file = join(dir, 'forged.eml');
    const template =
      'Template: ARIN-POC-5.1\r\n01. Registration Action: R\r\n02. Existing POC Handle: DEMO1-ARIN\r\nEND OF TEMPLATE\r\n';
    writeFileSync(
      file,
      `From: victim@victim.example\r\nReply-To: victim@victim.example\r\nSubject: POC\r\n\r\n${template}`,
    );
    const keyless = (await lint(file)).out;
    expect(keyless).toContain(
      'note: no API key: the daemon answers only at an address SPF or DKIM verifies (From when DKIM or SPF aligns it, else an envelope sender whose SPF passes), never at Reply-To, without your Subject or text; with no such address, nobody is answered. lint is offline: it checks no key and no DNS, so it cannot say whether an answer will come.',
    );
    writeFileSync(
      file,
      `From: noc@isp.example\r\nReply-To: billing@isp.example\r\nSubject: POC API-1A2B-3C4D-5E6F-7A8B\r\n\r\n${template}`,
    );
    const keyed = (await lint(file)).out;
    expect(keyed).toContain(
      'note: with a valid key whose account lists noc@isp.example, the daemon answers at Reply-To, else From; otherwise only at an address SPF or DKIM verifies',
    );
    expect(keyed).toContain('it checks no key and no DNS');
    expect(keyed).not.toContain('1A2B');
    // Mail the loop rules refuse says that alone: no promise of any answer.
    writeFileSync(
      file,
      `From: noc@isp.example\r\nAuto-Submitted: auto-replied\r\nSubject: POC\r\n\r\n${template}`,
    );
    const auto = (await lint(file)).out;
    expect(auto).toContain('note: the daemon would not reply');
    expect(auto).not.toContain('the daemon answers');
  });

  it('looks for the key of a message without a template where the daemon does: its Subject and text', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lint-subject-key-'));
    const file = join(dir, 'no-template.eml');
    const mail = (subject: string, body: string) =>
      `From: noc@isp.example\r\nSubject: ${subject}\r\n\r\n${body}\r\n`;
    writeFileSync(file, mail('SWIP API-1A2B-3C4D-5E6F-7A8B', 'Please find the template.'));
    const subjectKey = (await lint(file)).out;
    expect(subjectKey).toContain('E_NO_TEMPLATE');
    expect(subjectKey).toContain('note: with a valid key whose account lists noc@isp.example');
    expect(subjectKey).not.toContain('no API key');
    expect(subjectKey).not.toContain('1A2B');
    writeFileSync(file, mail('SWIP', 'our key: API-1A2B-3C4D-5E6F-7A8B'));
    expect((await lint(file)).out).toContain('note: with a valid key');
    // Two keys: the worker answers no key holder, nor does lint promise it.
    writeFileSync(file, mail('SWIP API-1A2B-3C4D-5E6F-7A8B', 'API-9A2B-3C4D-5E6F-7A8B'));
    expect((await lint(file)).out).toContain('note: no API key');
  });

  it('reads broken MIME as the daemon does, and names the attachments it did not read', async () => {
    const broken = await lint(join(FIXTURES, 'broken-mime-no-boundary.eml'));
    expect(broken.code).toBe(0);
    expect(broken.out).toContain('Template 1 of 1: ARIN-POC-5.1');
    const preamble = await lint(join(FIXTURES, 'broken-mime-preamble.eml'));
    expect(preamble.out).toContain("E_BAD_MIME: the message's MIME structure is broken");
    const tnef = await lint(join(FIXTURES, 'attachment-tnef-winmail.eml'));
    expect(tnef.out).toContain('E_NO_TEMPLATE');
    expect(tnef.out).toContain('"winmail.dat" (application/ms-tnef');
  });

  it('says a message without a template that names our mail or a ticket is taken for an answer to our mail, not refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lint-answer-'));
    const file = join(dir, 'answer.eml');
    writeFileSync(
      file,
      [
        'From: noc@demo-isp.example',
        'To: hostmaster@localhost',
        'Subject: Re: ticket 20261207-X0000042',
        'In-Reply-To: <S01.reply@registry.example>',
        '',
        'I did NOT make this change!',
        '',
      ].join('\r\n'),
    );
    const r = await lint(file);
    expect(r.code).toBe(1);
    expect(r.out).toContain('E_NO_TEMPLATE');
    expect(r.out).toContain(
      'note: it names 1 Message-ID(s) in In-Reply-To/References and ticket 20261207-X0000042: when they are ours',
    );
    expect(r.out).toContain('acknowledges it (RECEIVED)');
  });

  it('tells that templates inside a forwarded message are not read, as the daemon answers', async () => {
    const r = await lint(join(FIXTURES, 'forwarded-template.eml'));
    expect(r.code).toBe(1);
    expect(r.out).toContain('E_FORWARDED_TEMPLATE');
    // Forwarded in the text itself, below Outlook's line: the same answer, naming the line.
    const inline = await lint(join(FIXTURES, 'forward-outlook-inline.eml'));
    expect(inline.code).toBe(1);
    expect(inline.out).toContain('E_FORWARDED_TEMPLATE');
    expect(inline.out).toContain('below the line "-----Original Message-----"');
  });

  it('names the templates someone else wrote beside the sender own, as the reply does', async () => {
    const r = await lint(join(FIXTURES, 'beside-gmail-inline.eml'));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(
      /^ {2}not applied: E_FORWARDED_TEMPLATE: template ARIN-POC-5\.1 at line \d+ of the message body is inside a forwarded or quoted message/m,
    );
    expect(r.out).toContain('Template 1 of 1: ARIN-POC-5.1');
  });

  it('exits 1 and prints each error as E_CODE field NN line N: sentence', async () => {
    const r = await lint(join(FIXTURES, 'errors-reassign-simple.eml'));
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^ {4}E_INVALID_IP field 03 line 3: /m);
    expect(r.out).toMatch(/^ {4}E_INVALID_COUNTRY field 11 line 8: /m);
  });

  it('reads plain template text, message-level refusals and unreadable files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lint-'));
    const plain = join(dir, 'swip.txt');
    writeFileSync(
      plain,
      'Template: ARIN-NET-MOD-5.3\r\n01. Registration Action: R\r\n02. IP Address and Prefix or Range: 198.51.100.0/25\r\nEND OF TEMPLATE\r\n',
    );
    const ok = await lint(plain);
    expect(ok.code).toBe(0);
    expect(ok.out).toContain(`${plain}: plain text`);
    expect(ok.out).toContain('OK net.remove: 198.51.100.0/25');
    const bad = await lint(join(FIXTURES, 'eleven-templates.eml'), join(dir, 'missing.txt'));
    expect(bad.code).toBe(1);
    expect(bad.out).toContain('E_TOO_MANY_TEMPLATES');
    expect(bad.out).toContain('cannot read');
    expect((await lint()).code).toBe(2);
  });

  it('reads stdin for -', async () => {
    const io = commandOutput();
    const stdin = new PassThrough();
    stdin.end(
      'Template: ARIN-POC-5.1\n01. Registration Action: R\n02. Existing POC Handle: DEMO1-ARIN\nEND OF TEMPLATE\n',
    );
    const code = await lintCommand(['-'], { ...io, stdin });
    expect(code).toBe(0);
    expect(io.written().stdout).toContain('OK poc.remove: DEMO1-ARIN');
  });

  it('tells mail from plain text', () => {
    expect(looksLikeMail('From: a@b.example\nSubject: x\n\nbody')).toBe(true);
    expect(looksLikeMail('Template: ARIN-POC-5.1\n01. Registration Action: N\n')).toBe(false);
  });
});
