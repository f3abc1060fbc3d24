/**
 * A relay on a free loopback port that keeps each RCPT TO address exactly as it came on the
 * wire. smtp-server (smtp-sink.ts) splits its commands at blanks and at `@`, so it refuses a
 * quoted local part RFC 5321 allows (`RCPT TO:<"john doe"@isp.example>`, `<"a@b"@isp.example>`)
 * with 501; a real relay takes it. This one speaks just what the outbox's nodemailer client
 * says to a server that offers no extension: EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT.
 */
import net, { type AddressInfo } from 'node:net';
import type { CaughtMail } from './smtp-sink.ts';

export interface WireSink {
  readonly url: string;
  /** Accepted messages, in arrival order, their recipients as written between `<` and `>`. */
  readonly accepted: CaughtMail[];
  close(): Promise<void>;
}

/** `<x>` of `MAIL FROM:<x>` or `RCPT TO:<x> ...`: from the first `<` to the last `>`, as written. */
function pathOf(command: string): string {
  return command.slice(command.indexOf('<') + 1, command.lastIndexOf('>'));
}

export async function startWireSink(): Promise<WireSink> {
  const accepted: CaughtMail[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buffer = '';
    let mailFrom = '';
    let rcptTo: string[] = [];
    let data: string[] | undefined;
    const say = (line: string) => socket.write(`${line}\r\n`);
    say('220 wire-sink ESMTP');
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      for (let end = buffer.indexOf('\r\n'); end >= 0; end = buffer.indexOf('\r\n')) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (data) {
          if (line === '.') {
            accepted.push({ mailFrom, rcptTo, raw: `${data.join('\r\n')}\r\n` });
            data = undefined;
            rcptTo = [];
            say('250 accepted');
          } else data.push(line.startsWith('.') ? line.slice(1) : line);
          continue;
        }
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO' || verb === 'HELO') say('250 wire-sink');
        else if (verb === 'MAIL') {
          mailFrom = pathOf(line);
          rcptTo = [];
          say('250 sender ok');
        } else if (verb === 'RCPT') {
          rcptTo.push(pathOf(line));
          say('250 recipient ok');
        } else if (verb === 'DATA') {
          data = [];
          say('354 go on');
        } else if (verb === 'RSET' || verb === 'NOOP') say('250 ok');
        else if (verb === 'QUIT') {
          say('221 bye');
          socket.end();
        } else say('502 not implemented');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    accepted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
