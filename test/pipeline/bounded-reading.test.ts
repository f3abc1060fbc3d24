/**
 * Messages that cost too much to read are answered with clear errors while an ordinary keyed
 * message sent at the same time is answered normally: the daemon on its embedded defaults,
 * where the ingress, the worker and the health checks share one process and one event loop.
 * Deeply nested HTML used to block that loop for seconds (and htmlparser2's cost grows with the
 * square of the nesting); a template with ~124,000 problems threw "Maximum call stack size
 * exceeded" on every try, until E_PROCESSING_FAILED.
 */
import fs from 'node:fs';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { describe, expect, it } from 'vitest';
import { DEMO_API_KEY } from '../../src/registry/index.ts';
import { type ParsedReply, parseReply } from '../support/reply-reader.ts';
import { useEmbeddedDaemon } from './support/embedded-suite.ts';
import { outboxFiles, runCommand, startDaemonProcess } from './support/processes.ts';

const fixture = (name: string) =>
  fs.readFileSync(new URL(`../fixtures/mail/${name}`, import.meta.url), 'utf8');

const head = (subject: string, id: string) =>
  `From: noc@demo-isp.example\r\nTo: hostmaster@localhost\r\nSubject: ${subject}\r\nMessage-ID: <${id}@demo-isp.example>\r\nMIME-Version: 1.0\r\n`;

/**
 * 80,000 nested <div> (880,000 characters) around a template, and no text/plain part. Keyed in the
 * Subject, from the key's account address: only a sender who proved who they are is answered.
 */
function deepHtml(): string {
  const n = 80_000;
  const template = 'Template: ARIN-POC-5.1<br>01. Registration Action: R<br>END OF TEMPLATE';
  return `${head(`deep html ${DEMO_API_KEY}`, 'deep')}Content-Type: text/html; charset=utf-8\r\n\r\n${'<div>'.repeat(n)}${template}${'</div>'.repeat(n)}\r\n`;
}

/** A keyed POC template whose body is 124,000 lines that are no field. */
function manyProblems(): string {
  const junk = Array.from({ length: 124_000 }, (_, i) => `junk line ${i}`).join('\r\n');
  return `${head(`many problems ${DEMO_API_KEY}`, 'many')}Content-Type: text/plain; charset=utf-8\r\n\r\nTemplate: ARIN-POC-5.1\r\n${junk}\r\n01. Registration Action: R\r\n02. Existing POC Handle: DEMO1-ARIN\r\nEND OF TEMPLATE\r\n`;
}

async function replies(dir: string, count: number): Promise<ParsedReply[]> {
  const parsed: ParsedReply[] = [];
  for (const raw of await outboxFiles(dir, count, 180_000)) {
    const reply = await parseReply(raw);
    if (!reply.ok) throw new Error(reply.error.message);
    parsed.push(reply.value);
  }
  return parsed;
}

describe('bounded reading on the embedded defaults (every role in one process)', () => {
  const suite = useEmbeddedDaemon({ databaseMade: true });
  const env = suite.env;

  it('answers deep HTML and 124,000 problems with clear errors, and a keyed message beside them normally', async () => {
    const demo = await runCommand(['demo'], env, undefined, 60_000);
    expect(demo.code, demo.stderr).toBe(0);
    suite.daemon = await startDaemonProcess([], env, 60_000);

    // Health is asked all along; every check must be answered.
    const health = `http://127.0.0.1:${env['CONSOLE_PORT']}/healthz`;
    const checks: Promise<number>[] = [];
    const asking = setInterval(() => {
      checks.push(
        fetch(health, { signal: AbortSignal.timeout(20_000) }).then(
          (r) => r.status,
          () => 0,
        ),
      );
    }, 250);

    const send = async (raw: string) => {
      const client = nodemailer.createTransport({
        host: '127.0.0.1',
        port: Number(env['SMTP_PORT']),
        secure: false,
        ignoreTLS: true,
      });
      try {
        return await client.sendMail({
          envelope: { from: 'noc@demo-isp.example', to: ['hostmaster@localhost'] },
          raw,
        });
      } finally {
        client.close();
      }
    };
    const keyed = fixture('plain-reassign-simple-5.0.eml').replace(
      /^Subject: .*$/m,
      `Subject: SWIP ${DEMO_API_KEY}`,
    );
    const sent = await Promise.all([send(deepHtml()), send(manyProblems()), send(keyed)]);
    for (const info of sent) expect(info.response).toMatch(/^250 /);

    const answered = await replies(path.join(env['DATA_DIR']!, 'outbox'), 3);
    clearInterval(asking);
    const bySubject = new Map(answered.map((r) => [r.headers?.subject ?? '', r]));

    const html = [...bySubject.entries()].find(([s]) => s.startsWith('Re: deep html'))?.[1];
    expect(html?.refusal?.code, suite.daemon.output()).toBe('E_HTML_TOO_COMPLEX');
    expect(html?.refusal?.message).toContain('nested more than 256 deep');

    const many = [...bySubject.entries()].find(([s]) => s.startsWith('Re: many problems'))?.[1];
    expect(many?.blocks).toHaveLength(1);
    const errors = many!.blocks[0]!.errors;
    expect(many!.blocks[0]!.status).toBe('REJECTED');
    expect(errors).toHaveLength(101);
    expect(errors[0]).toMatchObject({ code: 'E_UNEXPECTED_LINE', line: 2 });
    expect(errors[100]!.code).toBe('E_TOO_MANY_PROBLEMS');
    expect(errors[100]!.message).toMatch(/^and 123,900 more problems in this template, not listed/);

    const ordinary = [...bySubject.entries()].find(([s]) => s.startsWith('Re: SWIP'))?.[1];
    expect(ordinary?.refusal).toBeUndefined();
    expect(ordinary?.blocks[0]?.status).toBe('APPROVED');
    expect(ordinary?.blocks[0]?.ticket).toMatch(/^\d{8}-X\d{7}$/);

    const statuses = await Promise.all(checks);
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    // Each message was handled once: no job ran twice for a lost lock.
    expect(answered).toHaveLength(3);
  }, 300_000);
});
