/**
 * `hostmasterd outbox` reads the newest reply file as a person would: decoded (quoted-printable
 * soft breaks joined, =XX escapes turned back into characters), one reply, not all of them.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { outboxCommand } from '../../src/commands/outbox.ts';
import { loadConfig } from '../../src/config/index.ts';
import { commandOutput } from '../support/command-output.ts';

async function outbox(env: Record<string, string>) {
  const io = commandOutput();
  const code = await outboxCommand([], {
    config: loadConfig(env, { roles: [] }),
    stdout: io.stdout,
    stderr: io.stderr,
  });
  const { stdout: out, stderr: err } = io.written();
  return { code, stdout: out, stderr: err };
}

const reply = (id: string, body: string) =>
  [
    'From: hostmaster@rir.example',
    'To: noc@isp.example',
    `Subject: Re: SWIP [${id}]`,
    'Date: Mon, 07 Dec 2026 05:00:00 +0000',
    `Message-ID: <${id}.reply@rir.example>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    body,
  ].join('\r\n');

describe('hostmasterd outbox', () => {
  it('prints the newest reply decoded, and only that one', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hm-outbox-'));
    const dir = path.join(dataDir, 'outbox');
    fs.mkdirSync(dir);
    // Named so that the older one sorts last: the newest is chosen by time, not by name.
    fs.writeFileSync(path.join(dir, 'S9.reply@rir.example.eml'), reply('S9', 'Submission: S9\r\n'));
    fs.utimesSync(path.join(dir, 'S9.reply@rir.example.eml'), new Date(1_000_000), new Date(1_000_000));
    fs.writeFileSync(
      path.join(dir, 'S10.reply@rir.example.eml'),
      reply(
        'S10',
        `Submission: S10\r\nNote: a long line broken by the encoding ${'x'.repeat(60)}=\r\nyz caf=C3=A9\r\nbell=07 esc=1B[2J\r\n`,
      ),
    );
    const run = await outbox({ DATA_DIR: dataDir });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Subject: Re: SWIP [S10]\n');
    expect(run.stdout).toContain(`Note: a long line broken by the encoding ${'x'.repeat(60)}yz café\n`);
    expect(run.stdout).not.toContain('S9');
    expect(run.stdout).toContain('bell\\u0007 esc\\u001b[2J');
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('says in one line that there is no reply yet, or that replies go by SMTP, and exits 1', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hm-outbox-'));
    const empty = await outbox({ DATA_DIR: dataDir });
    expect(empty).toEqual({
      code: 1,
      stdout: '',
      stderr: expect.stringMatching(/^hostmasterd outbox: no reply in .+ yet\n$/),
    });
    const smtp = await outbox({ DATA_DIR: dataDir, REPLY_SMTP_URL: 'smtp://127.0.0.1:2525' });
    expect(smtp).toEqual({ code: 1, stdout: '', stderr: expect.stringMatching(/REPLY_SMTP_URL/) });
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
});
