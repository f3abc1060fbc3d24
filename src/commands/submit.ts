/**
 * `hostmasterd submit [ENVELOPE_SENDER [RECIPIENT...]] < message.eml`: one message from stdin,
 * for an MTA pipe (e.g. Postfix `pipe ... argv=hostmasterd submit ${sender} ${recipient}`).
 * Exit 0: accepted (durably stored, and it will be processed once), `Submission: <id>` is printed.
 * 75 (EX_TEMPFAIL): not accepted, try again (the MTA keeps the message). 65 (EX_DATAERR): refused
 * for good (empty, not a mail, too large).
 *
 * Where the message goes, given that only one process may open the embedded PGlite database:
 * - DATABASE_URL set (PostgreSQL): the row is committed with a NOTIFY, and an ingress or worker
 *   process listening adds the job (submit-postgres.ts); this process loads no queue and never
 *   asks Redis. With no daemon listening it is still exit 0, with a note that the message waits:
 *   the first ingress or worker to start queues it (its start-up sweep). Only the database
 *   unreachable is 75.
 * - Embedded database held by a running daemon (a live process in its lock file, read before
 *   anything that stores is loaded): handed to that daemon's SMTP ingress on SMTP_HOST:SMTP_PORT
 *   (loopback, daemon-handover.ts), and its answer is mapped to the exit code.
 * - Embedded database and no daemon running: stored in the database; the job is queued when the
 *   embedded Redis answers, and otherwise by the start-up sweep of the next `hostmasterd start`.
 *   The message is durable either way, so this is exit 0.
 */
import { readMessageHead } from '../mail/index.ts';
import { directoryLockHolder, formatProblem, lazyPackage, type Problem } from '../shared/index.ts';
import { type HandoverAnswer, type HandoverEnvelope, handOver, plainEnvelope } from './daemon-handover.ts';
import type { CommandDeps } from './types.ts';

/** Only for an envelope the plain SMTP client cannot carry (see daemon-handover.ts). */
const nodemailer = lazyPackage<typeof import('nodemailer')>('nodemailer');

export const EXIT_ACCEPTED = 0;
export const EXIT_DATAERR = 65;
export const EXIT_TEMPFAIL = 75;

export type SubmitDeps = CommandDeps & { stdin: NodeJS.ReadableStream };

export async function submitCommand(args: string[], deps: SubmitDeps): Promise<number> {
  const { config } = deps;
  const say = (line: string) => deps.stderr.write(`hostmasterd submit: ${line}\n`);
  const refuse = (p: Problem) => {
    say(`refused: ${formatProblem(p)}`);
    return EXIT_DATAERR;
  };
  const later = (p: Problem) => {
    say(`not accepted, try again later: ${formatProblem(p)}`);
    return EXIT_TEMPFAIL;
  };
  const accepted = (id: string, note = '') => {
    // Labelled as the reply labels it, so the two can be matched by eye or by script.
    deps.stdout.write(`Submission: ${id}\n`);
    if (note) say(note);
    return EXIT_ACCEPTED;
  };
  const answers: Answers = { accepted, refuse, later };

  let raw: Buffer;
  try {
    const read = await readLimited(deps.stdin, config.limits.maxMessageBytes);
    if (read === 'too-large') {
      return refuse({
        code: 'E_MESSAGE_TOO_LARGE',
        message: `the message is larger than the limit of ${config.limits.maxMessageBytes} bytes`,
      });
    }
    raw = stripMboxFromLine(read);
  } catch (error) {
    return later({ code: 'E_STDIN', message: `could not read the message: ${(error as Error).message}` });
  }
  const head = await readMessageHead(raw, config.limits.maxMessageBytes);
  if (!head.ok) return refuse(head.error);

  const [senderArg, ...recipientArgs] = args;
  const envelope = {
    mailFrom: senderArg ?? head.value.fromAddress ?? '',
    rcptTo: recipientArgs.length > 0 ? recipientArgs : [config.hostmasterAddresses[0]!],
  };

  // Decided before anything that stores is loaded: a running daemon holding the embedded database
  // takes the message over SMTP, and this process loads neither the database nor the queue.
  if (config.database.kind === 'pglite' && directoryLockHolder(config.database.dataDir) !== undefined) {
    return await handToDaemon(deps, raw, envelope, answers);
  }
  if (config.database.kind === 'postgres') {
    // The row and a NOTIFY; a listening ingress or worker adds the job (submit-postgres.ts).
    const { storeByNotification } = await import('./submit-postgres.ts');
    const outcome = await storeByNotification(
      config.database.url,
      { raw, head: head.value, envelope },
      config.dryRunAddresses,
    );
    if (outcome.kind === 'refused') return refuse(outcome.problem);
    if (outcome.kind === 'unavailable') return later(outcome.problem);
    const { id, duplicate, heard } = outcome.stored;
    const notes = [
      duplicate ? 'already received earlier; not stored again' : '',
      heard
        ? ''
        : 'stored; no hostmasterd ingress or worker is running on this database: the first to start queues it',
    ];
    return accepted(id, notes.filter(Boolean).join('; '));
  }
  const { storeHere } = await import('./submit-store.ts');
  return await storeHere(deps, { raw, head: head.value, envelope }, answers, () =>
    handToDaemon(deps, raw, envelope, answers),
  );
}

export interface Answers {
  accepted(id: string, note?: string): number;
  refuse(p: Problem): number;
  later(p: Problem): number;
}

/** The embedded database belongs to a running daemon: deliver to its SMTP ingress instead. */
async function handToDaemon(
  deps: SubmitDeps,
  raw: Buffer,
  envelope: HandoverEnvelope,
  answers: Answers,
): Promise<number> {
  const host = loopbackFor(deps.config.smtp.host);
  const port = deps.config.smtp.port;
  const answer = plainEnvelope(envelope)
    ? await handOver(host, port, envelope, raw, { connectMs: 10_000, greetingMs: 10_000, socketMs: 60_000 })
    : await handOverByNodemailer(host, port, envelope, raw);
  if (answer.accepted) {
    const id = /Accepted as (\S+)/.exec(answer.response)?.[1];
    return answers.accepted(id ?? answer.response);
  }
  if (answer.responseCode !== undefined && answer.responseCode >= 500)
    return answers.refuse({ code: 'E_REFUSED', message: answer.response });
  return answers.later({
    code: 'E_DAEMON_UNREACHABLE',
    message: `the embedded database is in use by a running hostmasterd, and its SMTP ingress on ${host}:${port} did not accept the message: ${answer.response}`,
  });
}

/** An envelope with non-ASCII addresses (SMTPUTF8): nodemailer, as every message went before. */
async function handOverByNodemailer(
  host: string,
  port: number,
  envelope: HandoverEnvelope,
  raw: Buffer,
): Promise<HandoverAnswer> {
  const transport = nodemailer().createTransport({
    host,
    port,
    secure: false,
    ignoreTLS: true,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 60_000,
  });
  try {
    const info = await transport.sendMail({
      envelope: { from: envelope.mailFrom, to: [...envelope.rcptTo] },
      raw,
    });
    return { accepted: true, response: String(info.response) };
  } catch (error) {
    const code = (error as { responseCode?: number }).responseCode;
    const response = (error as { response?: string }).response ?? (error as Error).message;
    return { accepted: false, response, ...(code === undefined ? {} : { responseCode: code }) };
  } finally {
    transport.close();
  }
}

function loopbackFor(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '::1';
  return host;
}

/** Reads stdin whole, or answers 'too-large' as soon as it passes the limit. */
async function readLimited(stream: NodeJS.ReadableStream, maxBytes: number): Promise<Buffer | 'too-large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk);
    size += buffer.length;
    if (size > maxBytes + 512) return 'too-large';
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

/** MTAs piping in mbox style put a `From sender date` line first: it is not part of the message. */
function stripMboxFromLine(raw: Buffer): Buffer {
  if (!raw.subarray(0, 5).equals(Buffer.from('From '))) return raw;
  const end = raw.indexOf('\n');
  return end < 0 ? raw : raw.subarray(end + 1);
}
