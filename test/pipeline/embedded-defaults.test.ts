/**
 * The README's try-it, exactly as a newcomer runs it: `hostmasterd start` on the embedded
 * defaults (PGlite and a private redis-server under DATA_DIR, replies as .eml files in
 * DATA_DIR/outbox), `hostmasterd demo` beside it, the example mail handed over with
 * `hostmasterd submit` and sent over SMTP with nodemailer; the reply files hold the tickets and
 * `hostmasterd outbox` shows the latest decoded; the README's whois and RDAP lookups find the new
 * net. SIGTERM stops it cleanly.
 */
import fs from 'node:fs';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { describe, expect, it } from 'vitest';
import { DEMO_API_KEY } from '../../src/registry/index.ts';
import { whois, whoisValues } from '../public/support/clients.ts';
import { parseReply } from '../support/reply-reader.ts';
import { useEmbeddedDaemon } from './support/embedded-suite.ts';
import { outboxFiles, runCommand, startDaemonProcess, submissionId } from './support/processes.ts';

const fixture = (name: string) =>
  fs.readFileSync(new URL(`../fixtures/mail/${name}`, import.meta.url), 'utf8');

describe('hostmasterd start on embedded defaults (the README example)', () => {
  const suite = useEmbeddedDaemon();
  const env = suite.env;

  it('answers the example mail with a reply file holding its ticket, and stops on SIGTERM', async () => {
    suite.daemon = await startDaemonProcess([], env, 60_000);
    // In a second terminal, with the daemon running (it loads the registry for the command).
    const demo = await runCommand(['demo'], env, undefined, 60_000);
    expect(demo.code, demo.stderr).toBe(0);
    expect(demo.stdout).toContain(`API key: ${DEMO_API_KEY}`);

    // The form templates/ publishes today, as the README sends it.
    const example = fixture('reassign-simple-5.3.eml').replace(
      /^Subject: .*$/m,
      `Subject: SWIP ${DEMO_API_KEY}`,
    );
    const submitted = await runCommand(['submit'], env, example);
    expect(submitted.code, submitted.stderr).toBe(0);
    const submission = submissionId(submitted.stdout);
    expect(submitted.stdout).toBe(`Submission: ${submission}\n`);
    const outbox = path.join(env['DATA_DIR']!, 'outbox');
    await outboxFiles(outbox, 1);

    // `hostmasterd outbox` prints that one reply decoded: headers, then the text as mail shows it.
    const shown = await runCommand(['outbox'], env);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(
      /^File: .*\.eml\nFrom: .+\nTo: .*noc@demo-isp\.example.*\nDate: .+\nSubject: .+\n\n/,
    );
    expect(shown.stdout).toContain(`Submission: ${submission}\n`);
    expect(shown.stdout).toMatch(/^Template .*: ARIN-REASSIGN-SIMPLE-5\.3$/m);
    expect(shown.stdout).toMatch(/^Status: APPROVED$/m);
    expect(shown.stdout).not.toMatch(/=\r?\n|=[0-9A-F]{2}/);
    expect(shown.stdout).not.toContain(DEMO_API_KEY);

    // The README's lookups: the new reassignment in WHOIS and in RDAP, from the same process.
    const looked = await whois(Number(env['WHOIS_PORT']), 'n + 198.51.100.70');
    expect(whoisValues(looked, 'NetHandle')).toEqual([
      'NET-198-51-100-0-1',
      expect.stringMatching(/^NET-198-51-100-64-/),
    ]);
    expect(whoisValues(looked, 'CustName')).toEqual(['Acme Widgets Inc']);
    const rdap = await fetch(`http://127.0.0.1:${env['RDAP_PORT']}/rdap/ip/198.51.100.70`);
    expect(await rdap.json()).toMatchObject({ objectClassName: 'ip network', startAddress: '198.51.100.64' });

    // The next day the customer leaves: the 4.1 removal of the same net, over SMTP.

    const client = nodemailer.createTransport({
      host: '127.0.0.1',
      port: Number(env['SMTP_PORT']),
      secure: false,
      ignoreTLS: true,
    });
    const legacy = fixture('legacy-reassign-simple-4.1.eml').replace(
      /^Subject: .*$/m,
      `Subject: REASSIGN SIMPLE ${DEMO_API_KEY}`,
    );
    const info = await client.sendMail({
      envelope: { from: 'noc@demo-isp.example', to: ['hostmaster@localhost'] },
      raw: legacy,
    });
    client.close();
    expect(info.response).toMatch(/^250 /);

    const files = await outboxFiles(outbox, 2);
    const replies = [];
    for (const raw of files) {
      expect(raw).not.toContain(DEMO_API_KEY);
      // `cat data/outbox/*.eml` is readable: short lines are not broken by the transfer encoding.
      expect(raw).toMatch(/^Submission: S[0-9A-Z]+\r?$/m);
      expect(raw).toMatch(/^Status: APPROVED\r?$/m);
      const parsed = await parseReply(raw);
      if (!parsed.ok) throw new Error(parsed.error.message);
      replies.push(parsed.value);
    }
    const byForm = new Map(replies.map((r) => [r.blocks[0]?.form, r]));
    for (const form of ['ARIN-REASSIGN-SIMPLE-5.3', 'ARIN-REASSIGN-SIMPLE-4.1']) {
      const reply = byForm.get(form);
      expect(reply?.blocks).toHaveLength(1);
      expect(reply!.blocks[0]!.status).toBe('APPROVED');
      expect(reply!.blocks[0]!.ticket).toMatch(/^\d{8}-X\d{7}$/);
    }

    const exit = await suite.daemon.stop();
    expect(exit, suite.daemon.output()).toBe(0);
    suite.daemon = undefined;
    // The private redis-server went with it.
    expect(fs.existsSync(path.join(env['DATA_DIR']!, 'redis', 'redis.sock'))).toBe(false);
  }, 240_000); // its steps wait on events with limits of their own; the whole may take minutes on a busy CI machine
});
