/**
 * The mail floor: what "SMTP in, one reply out over SMTP" costs with nothing in between. An
 * `smtp-server` that reads each message like our ingress and, once it has answered 250, sends a
 * reply (a small text mail threaded with In-Reply-To, like ours, rendered up front and handed
 * over raw) to the reply sink through a pooled nodemailer transport, like our outbox. No parsing, no database, no queue: any design
 * that accepts by SMTP and answers by SMTP pays at least this. Run as its own process by
 * bench/support/baselines.ts; prints `PORT <n>` once listening and runs until SIGTERM.
 *
 * Reply sink port from argv[2]; pool size from argv[3].
 */
import type { AddressInfo } from 'node:net';
import nodemailer from 'nodemailer';
import { SMTPServer } from 'smtp-server';

const sinkPort = Number(process.argv[2]);
const connections = Number(process.argv[3] ?? 4);
const transport = nodemailer.createTransport({
  host: '127.0.0.1',
  port: sinkPort,
  secure: false,
  ignoreTLS: true,
  pool: true,
  maxConnections: connections,
  maxMessages: Number.POSITIVE_INFINITY,
});

let sent = 0;
const server = new SMTPServer({
  disabledCommands: ['AUTH', 'STARTTLS'],
  disableReverseLookup: true,
  logger: false,
  maxClients: 1000,
  onData(stream, session, callback) {
    const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
    let head = '';
    stream.on('data', (chunk: Buffer) => {
      if (head.length < 8192) head += chunk.toString('latin1');
    });
    stream.on('end', () => {
      callback(null, '2.0.0 Accepted');
      const messageId = /^Message-ID:\s*(<[^>]+>)/im.exec(head)?.[1];
      const to = from || 'postmaster@localhost';
      // Rendered up front and handed over as raw bytes, the way our outbox sends its replies.
      const raw = [
        'From: hostmaster@localhost',
        `To: ${to}`,
        'Subject: Re: templates',
        `Message-ID: <relay-${++sent}@localhost>`,
        ...(messageId ? [`In-Reply-To: ${messageId}`, `References: ${messageId}`] : []),
        'Auto-Submitted: auto-replied',
        'MIME-Version: 1.0',
        'Content-Type: text/plain; charset=us-ascii',
        '',
        'Summary: relayed',
        '',
        'Template 1 of 1: RELAY',
        'Status: APPROVED',
        '',
      ].join('\r\n');
      transport
        .sendMail({ envelope: { from: '', to: [to] }, raw })
        .catch((error: Error) => process.stderr.write(`relay: ${error.message}\n`));
    });
  },
});
// A client's dropped connection is emitted on the server; a relay shrugs it off.
server.on('error', () => {});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`PORT ${(server.server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => {
  transport.close();
  server.close(() => process.exit(0));
});
