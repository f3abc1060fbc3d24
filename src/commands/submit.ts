/**
 * `hostmasterd submit [ENVELOPE_SENDER [RECIPIENT...]] < message.eml`: one message from stdin,
 * for an MTA pipe (e.g. Postfix `pipe ... argv=hostmasterd submit ${sender} ${recipient}`).
 * Exit 0: accepted, `Submission: <id>` is printed. 75 (EX_TEMPFAIL): not accepted, try again
 * (the MTA keeps the message). 65 (EX_DATAERR): refused for good (empty, not a mail, too large).
 *
 * Where the message goes, given that only one process may open the embedded PGlite database:
 * - DATABASE_URL set (PostgreSQL): stored and queued directly, exactly as the SMTP ingress does.
 * - Embedded database held by a running daemon: handed to that daemon's SMTP ingress on
 *   SMTP_HOST:SMTP_PORT (loopback), and its answer is mapped to the exit code.
 * - Embedded database and no daemon running: stored in the database; the job is queued when the
 *   embedded Redis answers, and otherwise by the start-up sweeper of the next `hostmasterd start`.
 *   The message is durable either way, so this is exit 0.
 * With embedded Redis (REDIS_URL unset) and a PostgreSQL database, a Redis that is not running
 * is the same case: the row is committed and the daemon's sweeper queues it when it starts.
 * With REDIS_URL set, an unreachable Redis is an outage: exit 75, as SMTP would answer 451.
 */
import { type DatabaseHandle, openDatabase } from '../db/index.ts';
import { acceptMessage, isTemporary, readMessageHead, storeSubmission } from '../ingress/index.ts';
import { pingRedisSocket, SubmissionQueue } from '../queue/index.ts';
import { formatProblem, lazyPackage, type Problem, ProblemError } from '../shared/index.ts';
import type { CommandDeps } from './types.ts';

/** Only for handing a message to a running daemon's SMTP ingress (see shared's lazyPackage). */
const nodemailer = lazyPackage<typeof import('nodemailer')>('nodemailer');

export const EXIT_ACCEPTED = 0;
export const EXIT_DATAERR = 65;
export const EXIT_TEMPFAIL = 75;

type SubmitDeps = CommandDeps & { stdin: NodeJS.ReadableStream };

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

  let handle: DatabaseHandle;
  try {
    handle = await openDatabase(config.database, { migrate: config.database.kind === 'pglite' });
  } catch (error) {
    if (error instanceof ProblemError && error.problem.code === 'E_DATABASE_LOCKED') {
      return await handToDaemon(deps, raw, envelope, { accepted, refuse, later });
    }
    const p = error instanceof ProblemError ? error.problem : null;
    return later(p ?? { code: 'E_DATABASE_UNAVAILABLE', message: (error as Error).message });
  }

  let queue: SubmissionQueue | undefined;
  try {
    const embeddedRedisDown =
      config.redis.kind === 'embedded' && !(await pingRedisSocket(config.redis.socketPath));
    const message = { raw, envelope, via: 'stdin' as const };
    if (embeddedRedisDown) {
      const stored = await storeSubmission(handle.db, message, { maxBytes: config.limits.maxMessageBytes });
      if (!stored.ok) return isTemporary(stored.error) ? later(stored.error) : refuse(stored.error);
      return accepted(stored.value.id, 'stored; hostmasterd queues it when it starts');
    }
    queue = new SubmissionQueue(config.redis, { timeoutMs: 5_000 });
    try {
      await queue.ready();
    } catch (error) {
      return later({
        code: 'E_QUEUE_UNAVAILABLE',
        message: `the job queue (${queue.where}) is unreachable: ${(error as Error).message}`,
      });
    }
    const result = await acceptMessage(
      { db: handle.db, queue, maxBytes: config.limits.maxMessageBytes },
      message,
    );
    if (!result.ok) return isTemporary(result.error) ? later(result.error) : refuse(result.error);
    return accepted(
      result.value.id,
      result.value.duplicate ? 'already received earlier; not stored again' : '',
    );
  } catch (error) {
    return later({ code: 'E_SUBMIT', message: (error as Error).message });
  } finally {
    await queue?.close();
    await handle.close().catch(() => {});
  }
}

interface Answers {
  accepted(id: string, note?: string): number;
  refuse(p: Problem): number;
  later(p: Problem): number;
}

/** The embedded database belongs to a running daemon: deliver to its SMTP ingress instead. */
async function handToDaemon(
  deps: SubmitDeps,
  raw: Buffer,
  envelope: { mailFrom: string; rcptTo: readonly string[] },
  answers: Answers,
): Promise<number> {
  const host = loopbackFor(deps.config.smtp.host);
  const transport = nodemailer().createTransport({
    host,
    port: deps.config.smtp.port,
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
    const id = /Accepted as (\S+)/.exec(String(info.response))?.[1];
    return answers.accepted(id ?? String(info.response));
  } catch (error) {
    const code = (error as { responseCode?: number }).responseCode;
    const text = (error as { response?: string }).response ?? (error as Error).message;
    if (code !== undefined && code >= 500) return answers.refuse({ code: 'E_REFUSED', message: text });
    return answers.later({
      code: 'E_DAEMON_UNREACHABLE',
      message: `the embedded database is in use by a running hostmasterd, and its SMTP ingress on ${host}:${deps.config.smtp.port} did not accept the message: ${text}`,
    });
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
