/**
 * The ingress ceiling: an `smtp-server` that reads each message and throws it away, configured
 * like our ingress (no AUTH, no reverse lookup). Run as its own process (like the ingress) by
 * bench/run.ts; prints `PORT <n>` once listening and runs until SIGTERM.
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

const server = new SMTPServer({
  disabledCommands: ['AUTH', 'STARTTLS'],
  disableReverseLookup: true,
  logger: false,
  maxClients: 1000,
  onData(stream, _session, callback) {
    stream.on('data', () => {});
    stream.on('end', () => callback(null, '2.0.0 Discarded'));
  },
});
// A client's dropped connection is emitted on the server; a relay shrugs it off.
server.on('error', () => {});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`PORT ${(server.server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
