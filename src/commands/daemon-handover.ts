/**
 * `submit`'s delivery of one message to the running daemon's SMTP ingress (embedded defaults: the
 * database is the daemon's), over plain SMTP on loopback with nothing but node:net: nodemailer's
 * transport and composer cost a `submit` ~35 ms of CPU, a sixth of all it did
 * (bench/results/cli-profile.md). The message goes as nodemailer sent it: EHLO, MAIL FROM, RCPT TO,
 * DATA with every line end made CRLF and leading dots doubled (its DataStream's rules), then QUIT.
 * An envelope address that is not ASCII needs SMTPUTF8: such a message goes by nodemailer, loaded then.
 */
import net from 'node:net';
import os from 'node:os';

export interface HandoverEnvelope {
  /** '' for the null sender. */
  readonly mailFrom: string;
  readonly rcptTo: readonly string[];
}

/** How the daemon answered: its last reply, or why there was none. */
export type HandoverAnswer =
  | { readonly accepted: true; readonly response: string }
  | { readonly accepted: false; readonly responseCode?: number; readonly response: string };

export interface HandoverTimeouts {
  readonly connectMs: number;
  readonly greetingMs: number;
  /** Longest silence once connected. */
  readonly socketMs: number;
}

const NOT_ASCII = /[^\x20-\x7e]/;

/** The name EHLO gives, as nodemailer chose it: the host's name when it has a dot, else [127.0.0.1]. */
function ehloName(): string {
  const host = os.hostname().replace(/[\r\n]+/g, '');
  if (!host.includes('.')) return '[127.0.0.1]';
  return /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) ? `[${host}]` : host;
}

/** Whether the plain client can carry this envelope (else nodemailer does, with SMTPUTF8). */
export function plainEnvelope(envelope: HandoverEnvelope): boolean {
  return ![envelope.mailFrom, ...envelope.rcptTo].some((a) => NOT_ASCII.test(a) || /[<>]/.test(a));
}

/** The message as DATA carries it: CRLF line ends, a dot doubled at a line's start, then `.` alone. */
export function dataBytes(raw: Buffer): Buffer {
  const out: Buffer[] = [];
  let from = 0;
  let prev = -1;
  for (let i = 0; i < raw.length; i++) {
    const byte = raw[i]!;
    let insert: string | undefined;
    if (prev === 0x0d && byte !== 0x0a) insert = byte === 0x2e ? '\n.' : '\n';
    else if (byte === 0x0a && prev !== 0x0d) insert = '\r';
    else if (byte === 0x2e && (prev === 0x0a || prev === -1)) insert = '.';
    if (insert !== undefined) {
      out.push(raw.subarray(from, i), Buffer.from(insert));
      from = i;
    }
    prev = byte;
  }
  out.push(raw.subarray(from));
  out.push(Buffer.from(prev === 0x0a ? '.\r\n' : prev === 0x0d ? '\n.\r\n' : '\r\n.\r\n'));
  return Buffer.concat(out);
}

/** One SMTP reply: its code and its lines joined by a line feed. */
interface Reply {
  readonly code: number;
  readonly text: string;
}

/** Reads replies off the socket, one at a time, in order. */
function replies(socket: net.Socket): { next(): Promise<Reply> } {
  let buffered = '';
  let lines: string[] = [];
  const ready: Reply[] = [];
  const waiting: { resolve(r: Reply): void; reject(e: Error): void }[] = [];
  let failure: Error | undefined;
  const fail = (error: Error) => {
    failure ??= error;
    for (const w of waiting.splice(0)) w.reject(failure);
  };
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => {
    buffered += chunk;
    let newline = buffered.indexOf('\n');
    while (newline >= 0) {
      const line = buffered.slice(0, newline).replace(/\r$/, '');
      buffered = buffered.slice(newline + 1);
      lines.push(line);
      if (!/^\d{3}-/.test(line)) {
        const reply = { code: Number(line.slice(0, 3)) || 0, text: lines.join('\n') };
        lines = [];
        const w = waiting.shift();
        if (w) w.resolve(reply);
        else ready.push(reply);
      }
      newline = buffered.indexOf('\n');
    }
  });
  socket.on('error', fail);
  socket.on('close', () => fail(new Error('the connection was closed')));
  return {
    next: () => {
      const reply = ready.shift();
      if (reply) return Promise.resolve(reply);
      if (failure) return Promise.reject(failure);
      return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
    },
  };
}

/** Delivers `raw` to the SMTP server at host:port and says how it answered (never throws). */
export async function handOver(
  host: string,
  port: number,
  envelope: HandoverEnvelope,
  raw: Buffer,
  timeouts: HandoverTimeouts,
): Promise<HandoverAnswer> {
  const socket = net.connect({ host, port });
  const answers = replies(socket);
  let phaseTimer: NodeJS.Timeout | undefined;
  const phase = (ms: number, what: string) => {
    clearTimeout(phaseTimer);
    phaseTimer = setTimeout(() => socket.destroy(new Error(`${what} timed out after ${ms} ms`)), ms);
  };
  const expect = async (codes: readonly number[], what: string): Promise<Reply> => {
    const reply = await answers.next();
    if (!codes.includes(reply.code)) throw Object.assign(new Error(`${what}: ${reply.text}`), { reply });
    return reply;
  };
  const send = (line: string) => socket.write(`${line}\r\n`, 'latin1');
  try {
    phase(timeouts.connectMs, 'connecting');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    phase(timeouts.greetingMs, 'the greeting');
    await expect([220], 'greeting');
    socket.setTimeout(timeouts.socketMs, () => socket.destroy(new Error('the connection went silent')));
    clearTimeout(phaseTimer);
    send(`EHLO ${ehloName()}`);
    await expect([250], 'EHLO');
    send(`MAIL FROM:<${envelope.mailFrom}>`);
    await expect([250], 'MAIL FROM');
    // As nodemailer: the message goes when at least one recipient is accepted.
    let accepted = 0;
    let lastRefusal: Reply | undefined;
    for (const to of envelope.rcptTo) {
      send(`RCPT TO:<${to}>`);
      const reply = await answers.next();
      if (reply.code === 250 || reply.code === 251) accepted++;
      else lastRefusal = reply;
    }
    if (accepted === 0) {
      const reply = lastRefusal ?? { code: 0, text: 'no recipient' };
      throw Object.assign(new Error(`RCPT TO: ${reply.text}`), { reply });
    }
    send('DATA');
    await expect([354], 'DATA');
    socket.write(dataBytes(raw));
    const done = await expect([250], 'end of data');
    send('QUIT');
    socket.end();
    return { accepted: true, response: done.text };
  } catch (error) {
    const reply = (error as { reply?: Reply }).reply;
    socket.destroy();
    return reply
      ? { accepted: false, responseCode: reply.code, response: reply.text }
      : { accepted: false, response: (error as Error).message };
  } finally {
    clearTimeout(phaseTimer);
  }
}
