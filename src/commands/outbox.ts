/**
 * `hostmasterd outbox`: the latest reply written to DATA_DIR/outbox (the embedded default without
 * REPLY_SMTP_URL), decoded for reading: its From, To, Date and Subject, then the text as the
 * recipient's mail program shows it (no quoted-printable soft breaks, one reply, not all of them
 * run together). Exit 0 when a reply was printed, 1 when there is none or replies go by SMTP.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import type { CommandDeps } from './types.ts';

export async function outboxCommand(_args: string[], deps: CommandDeps): Promise<number> {
  const transport = deps.config.replies.transport;
  const say = (line: string) => deps.stderr.write(`hostmasterd outbox: ${line}\n`);
  if (transport.kind !== 'folder') {
    say(
      'replies are sent by SMTP (REPLY_SMTP_URL is set), not kept in a folder: read them where they were sent',
    );
    return 1;
  }
  const latest = await latestReply(transport.dir);
  if (!latest) {
    say(`no reply in ${transport.dir} yet`);
    return 1;
  }
  const mail = await simpleParser(await fs.readFile(latest), { skipHtmlToText: true, skipTextLinks: true });
  const header = (name: string, value: string | undefined) => (value ? `${name}: ${value}\n` : '');
  deps.stdout.write(
    printable(
      [
        header('File', latest),
        header('From', mail.from?.text),
        header('To', Array.isArray(mail.to) ? mail.to.map((a) => a.text).join(', ') : mail.to?.text),
        header('Date', mail.date?.toISOString()),
        header('Subject', mail.subject),
        '\n',
        (mail.text ?? '').replace(/\r\n/g, '\n').replace(/\n*$/, '\n'),
      ].join(''),
    ),
  );
  return 0;
}

/**
 * A reply echoes what the sender wrote: control characters other than newline and tab are shown
 * as \u escapes so that no escape sequence reaches the reader's terminal.
 */
function printable(text: string): string {
  return text.replace(
    /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** The newest `.eml` by modification time (file names are Message-IDs, not in time order). */
async function latestReply(dir: string): Promise<string | undefined> {
  let names: string[];
  try {
    names = (await fs.readdir(dir)).filter((name) => name.endsWith('.eml'));
  } catch {
    return undefined;
  }
  let newest: { file: string; mtimeMs: number } | undefined;
  for (const name of names) {
    const file = path.join(dir, name);
    const { mtimeMs } = await fs.stat(file);
    if (!newest || mtimeMs > newest.mtimeMs) newest = { file, mtimeMs };
  }
  return newest?.file;
}
