/**
 * `submit`'s own SMTP client (src/commands/daemon-handover.ts), which replaced nodemailer for the
 * hand-over to a running daemon: a real SMTP server receives from both, and must receive the same
 * envelope and the same bytes for messages whose line ends and dots need care (LF only, lone CR,
 * leading dots, a lone dot line, no final line end, 8-bit bytes); its refusals and its absence come
 * back with their code, or none.
 */
import net from 'node:net';
import nodemailer from 'nodemailer';
import { afterAll, describe, expect, it } from 'vitest';
import { dataBytes, handOver } from '../../src/commands/daemon-handover.ts';
import { type SmtpSink, startSmtpSink } from '../replies/support/smtp-sink.ts';

const TIMEOUTS = { connectMs: 10_000, greetingMs: 10_000, socketMs: 60_000 };

const VARIANTS: Record<string, Buffer> = {
  crlf: Buffer.from('From: a@isp.example\r\nSubject: x\r\n\r\nTemplate: ARIN-POC-5.0\r\n'),
  lf: Buffer.from('From: a@isp.example\nSubject: x\n\nline\n.leading dot\n.\n..two\nlast'),
  'lone cr': Buffer.from('From: a@isp.example\rSubject: x\r\n\r\nbody\r.\rend\r'),
  'dot first': Buffer.from('.From: a@isp.example\r\n\r\n.\r\n'),
  '8-bit': Buffer.from('From: a@isp.example\r\nSubject: caf\xe9\r\n\r\nJos\xe9 \xff\x00\r\n', 'latin1'),
  'ends in cr lf lf': Buffer.from('From: a@isp.example\r\n\r\nbody\r\n\n'),
};

const port = (sink: SmtpSink) => Number(new URL(sink.url).port);

describe("submit's hand-over to the daemon's SMTP ingress", () => {
  const sinks: SmtpSink[] = [];
  afterAll(async () => {
    for (const sink of sinks) await sink.close();
  });

  it('delivers the envelope and the bytes nodemailer delivered, for every awkward message', async () => {
    const sink = await startSmtpSink();
    sinks.push(sink);
    const transport = nodemailer.createTransport({
      host: '127.0.0.1',
      port: port(sink),
      secure: false,
      ignoreTLS: true,
    });
    const envelopes = [
      { mailFrom: 'bounce+1@isp.example', rcptTo: ['hostmaster@rir.example'] },
      { mailFrom: '', rcptTo: ['hostmaster@rir.example', 'other@rir.example'] },
    ];
    let sent = 0;
    for (const [name, raw] of Object.entries(VARIANTS)) {
      for (const envelope of envelopes) {
        const answer = await handOver('127.0.0.1', port(sink), envelope, raw, TIMEOUTS);
        expect(answer, name).toMatchObject({ accepted: true });
        await transport.sendMail({ envelope: { from: envelope.mailFrom, to: [...envelope.rcptTo] }, raw });
        sent += 2;
        await sink.waitFor(sent);
        const [ours, theirs] = sink.accepted.slice(-2);
        expect(ours, name).toEqual(theirs);
      }
    }
    transport.close();
  });

  it('writes DATA as nodemailer does: CRLF everywhere, leading dots doubled, then a dot alone', () => {
    expect(dataBytes(Buffer.from('a\n.b\r\n.\rc')).toString()).toBe('a\r\n..b\r\n..\r\nc\r\n.\r\n');
    expect(dataBytes(Buffer.from('x\r\n')).toString()).toBe('x\r\n.\r\n');
  });

  it("brings back the daemon's refusal with its code, and no code when nobody answers", async () => {
    const sink = await startSmtpSink({
      refuse: (n) => (n === 1 ? { code: 550, message: 'refused for good' } : { code: 451, message: 'later' }),
    });
    sinks.push(sink);
    const envelope = { mailFrom: 'a@isp.example', rcptTo: ['hostmaster@rir.example'] };
    const raw = VARIANTS['crlf']!;
    expect(await handOver('127.0.0.1', port(sink), envelope, raw, TIMEOUTS)).toMatchObject({
      accepted: false,
      responseCode: 550,
      response: expect.stringContaining('refused for good'),
    });
    expect(await handOver('127.0.0.1', port(sink), envelope, raw, TIMEOUTS)).toMatchObject({
      accepted: false,
      responseCode: 451,
    });
    // A port nobody listens on: connection refused, no code (submit says try again).
    const closed = await new Promise<number>((resolve) => {
      const server = net.createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = server.address() as net.AddressInfo;
        server.close(() => resolve(free));
      });
    });
    const refused = await handOver('127.0.0.1', closed, envelope, raw, TIMEOUTS);
    expect(refused.accepted).toBe(false);
    expect(refused).not.toHaveProperty('responseCode');
  });

  it('gives up on a server that never greets, after its greeting limit', async () => {
    const silent = net.createServer(() => {}).listen(0, '127.0.0.1');
    await new Promise((resolve) => silent.once('listening', resolve));
    const { port: silentPort } = silent.address() as net.AddressInfo;
    try {
      const answer = await handOver(
        '127.0.0.1',
        silentPort,
        { mailFrom: 'a@isp.example', rcptTo: ['hostmaster@rir.example'] },
        VARIANTS['crlf']!,
        { ...TIMEOUTS, greetingMs: 300 },
      );
      expect(answer).toMatchObject({
        accepted: false,
        response: expect.stringMatching(/greeting timed out/),
      });
    } finally {
      silent.close();
    }
  });
});
