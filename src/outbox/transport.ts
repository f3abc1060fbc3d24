/**
 * Where outbox mail goes: over SMTP to the configured relay (REPLY_SMTP_URL), or, on embedded
 * defaults, into `DATA_DIR/outbox/<message-id>.eml` files. Failures come back as values that say
 * whether trying again can help.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { ReplyTransport } from '../config/index.ts';
import { lazyPackage, type RelayFault, redactApiKeys } from '../shared/index.ts';

/** Loaded when a transport is made, not when the room is imported (see shared's lazyPackage). */
const nodemailer = lazyPackage<typeof import('nodemailer')>('nodemailer');

export interface MailToDeliver {
  readonly messageId: string;
  readonly envelopeFrom: string;
  /** The recipients this attempt is for (those an earlier attempt settled are left out). */
  readonly toReach: readonly string[];
  readonly raw: string;
}

/** A recipient the relay did not take: `permanent` for a 5xx (trying again cannot help), else deferred. */
export interface RecipientRefusal {
  readonly address: string;
  readonly permanent: boolean;
  readonly reply: string;
}

/** The relay answered for this mail (see DeliveryOutcome). */
export interface RelayAnswered {
  readonly kind: 'answered';
  readonly detail: string;
  readonly accepted: readonly string[];
  readonly refused: readonly RecipientRefusal[];
}

export type DeliveryOutcome =
  /**
   * The relay answered for this mail: it took it for `accepted` (each never to be sent it again)
   * and refused `refused`; a recipient of the attempt in neither was not settled either way.
   * A refusal of the mail's data refuses every recipient with the relay's answer.
   */
  | RelayAnswered
  /** The relay could not take mail at all: not this mail's doing (see RelayFault). */
  | { readonly kind: 'relay-fault'; readonly fault: RelayFault; readonly error: string };

export interface MailDelivery {
  /** For logs: where mail goes (the URL without its password). */
  readonly description: string;
  deliver(mail: MailToDeliver): Promise<DeliveryOutcome>;
  close(): void;
}

/** `<S1.reply@host>` -> `S1.reply@host.eml`: one file per Message-ID, so a resend overwrites, never doubles. */
export function emlFileName(messageId: string): string {
  const bare = messageId.trim().replace(/^<|>$/g, '');
  return `${bare.replace(/[^A-Za-z0-9._@+-]/g, '_').replace(/^\.+/, '_') || 'message'}.eml`;
}

function folderDelivery(dir: string): MailDelivery {
  return {
    description: `folder ${dir}`,
    async deliver(mail) {
      const target = path.join(dir, emlFileName(mail.messageId));
      // Written aside and renamed: a reader never sees half a file, a crash leaves only a stray .tmp.
      const temporary = path.join(
        dir,
        `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
      );
      try {
        await fs.mkdir(dir, { recursive: true });
        const handle = await fs.open(temporary, 'w', 0o640);
        try {
          await handle.writeFile(mail.raw, 'utf8');
          await handle.sync();
        } finally {
          await handle.close();
        }
        await fs.rename(temporary, target);
        return { kind: 'answered', detail: target, accepted: mail.toReach, refused: [] };
      } catch (error) {
        await fs.rm(temporary, { force: true }).catch(() => {});
        return {
          kind: 'relay-fault',
          fault: 'folder',
          error: `cannot write ${target}: ${(error as Error).message}`,
        };
      }
    },
    close() {},
  };
}

/** What nodemailer's errors carry (smtp-connection's _formatError). */
interface SmtpFailure {
  readonly message?: string;
  readonly code?: string;
  readonly command?: string;
  readonly responseCode?: number;
  readonly response?: string;
  readonly recipient?: string;
  readonly rejectedErrors?: readonly SmtpFailure[];
}

/** The relay's own words, with its code in front, API keys hidden. */
function relayAnswer(failure: SmtpFailure): string {
  const code = failure.responseCode;
  const text = failure.response ?? failure.message ?? String(failure);
  return redactApiKeys(code !== undefined && !text.startsWith(String(code)) ? `${code} ${text}` : text);
}

/**
 * Answers about the relay's willingness to carry our mail at all, whichever recipient they are
 * given for: 530 (authentication required), 534/535/538 (RFC 4954's login refusals), and the
 * "relay access denied" a relay gives a client it does not know (Postfix, Exim, Sendmail word it
 * so). Refusing every recipient of every mail so is the relay's fault, not the mail's.
 */
const RELAY_REFUSAL_CODES: ReadonlySet<number> = new Set([530, 534, 535, 538]);
const RELAY_REFUSAL_TEXT = /\brelay(ing)?\b[^\n]{0,20}\b(denied|not (permitted|allowed)|prohibited)\b/i;

function refusesRelaying(failure: SmtpFailure): boolean {
  return (
    (failure.responseCode !== undefined && RELAY_REFUSAL_CODES.has(failure.responseCode)) ||
    RELAY_REFUSAL_TEXT.test(failure.response ?? '')
  );
}

const isPermanentCode = (code: number | undefined) => code !== undefined && code >= 500 && code < 600;

/** Nodemailer's error codes of faults of the connection, by what they say about the relay. */
const CONNECTION_CODES: Readonly<Record<string, RelayFault>> = {
  ECONNECTION: 'connection',
  ESOCKET: 'connection',
  ETIMEDOUT: 'connection',
  EDNS: 'connection',
  EPROXY: 'connection',
  ETLS: 'tls',
  EREQUIRETLS: 'tls',
  EAUTH: 'auth',
  ENOAUTH: 'auth',
  EOAUTH2: 'auth',
  EPROTOCOL: 'protocol',
};

/**
 * Sorts a failed send into the mail's refusal (its recipients, its data) and the relay's fault
 * (everything before our envelope's recipients: connecting, TLS, the greeting, AUTH, MAIL FROM).
 * Only the first is the mail's to carry: nodemailer reports a refused greeting (554), login
 * (535) or sender with 5xx codes too, and taking those as a refusal of this mail left every
 * reply `failed` while the relay was misconfigured for an hour.
 */
function classifySmtpFailure(error: unknown, toReach: readonly string[]): DeliveryOutcome {
  const failure = (error ?? {}) as SmtpFailure;
  const refuseAll = (permanent: boolean): DeliveryOutcome => ({
    kind: 'answered',
    detail: relayAnswer(failure),
    accepted: [],
    refused: toReach.map((address) => ({ address, permanent, reply: relayAnswer(failure) })),
  });
  const relayFault = (fault: RelayFault): DeliveryOutcome => ({
    kind: 'relay-fault',
    fault,
    error: relayAnswer(failure),
  });
  const code = failure.code ?? '';
  const command = failure.command ?? '';
  // 421: the relay is closing the channel (RFC 5321 4.2.2, any command may hear it): its state.
  if (failure.responseCode === 421) return relayFault(command === 'CONN' ? 'greeting' : 'connection');
  if (code === 'EENVELOPE' && command === 'RCPT TO' && failure.rejectedErrors?.length) {
    // Every recipient refused (nodemailer lists each with its own answer).
    const refusals = failure.rejectedErrors;
    if (refusals.every(refusesRelaying)) return relayFault('relaying');
    return recipientsAnswered([], refusals, toReach, relayAnswer(failure));
  }
  if (code === 'EENVELOPE' && command === 'MAIL FROM') {
    // Our envelope sender is always ours ('' or REPLY_FROM): refusing it is the relay's policy or
    // state, except a size refused up front (552 to SIZE=), which is this mail's.
    return failure.responseCode === 552 ? refuseAll(true) : relayFault('sender');
  }
  if (code === 'EMESSAGE' || code === 'EENVELOPE' || code === 'EMAXRECIPIENTS') {
    // The data or the envelope's recipients refused as a whole (DATA, the message's size, an
    // address nodemailer will not write): every recipient of the attempt, for good on a 5xx or
    // when no answer came (nodemailer's own checks: trying again gives the same).
    if (refusesRelaying(failure)) return relayFault('relaying');
    return refuseAll(failure.responseCode === undefined || isPermanentCode(failure.responseCode));
  }
  const connectionFault = CONNECTION_CODES[code];
  if (connectionFault === 'protocol' && command === 'CONN' && failure.responseCode !== undefined)
    return relayFault('greeting');
  return relayFault(connectionFault ?? 'other');
}

/** `accepted` and `refusals` as nodemailer gives them (addresses as it wrote them) mapped back to ours. */
function recipientsAnswered(
  accepted: readonly string[],
  refusals: readonly SmtpFailure[],
  toReach: readonly string[],
  detail: string,
): RelayAnswered {
  const ours = new Map<string, string[]>();
  for (const address of toReach) {
    const wire = wireAddress(address);
    ours.set(wire, [...(ours.get(wire) ?? []), address]);
  }
  const refused: RecipientRefusal[] = [];
  for (const refusal of refusals) {
    const reply = relayAnswer(refusal);
    // A login or relaying refusal for one recipient while others were taken: the relay's
    // trouble of the moment, not this address's; tried again.
    const permanent = isPermanentCode(refusal.responseCode) && !refusesRelaying(refusal);
    for (const address of ours.get(refusal.recipient ?? '') ?? [])
      refused.push({ address, permanent, reply });
  }
  return {
    kind: 'answered',
    detail,
    accepted: accepted.flatMap((wire) => ours.get(wire) ?? []),
    refused,
  };
}

const mimeNode = lazyPackage<typeof import('nodemailer/lib/mime-node').default>('nodemailer/lib/mime-node');

/**
 * Wire forms already asked of nodemailer. Asking builds a MimeNode and parses the address (~15
 * µs), twice a recipient a mail (before the send and to read the relay's answer), and replies go
 * to the same few addresses again and again (a requester, its notices' POCs). Bounded: emptied
 * when full, so a run of distinct addresses costs what it did without it.
 */
const wireForms = new Map<string, string>();
const WIRE_FORMS_KEPT = 1024;

/**
 * The address as nodemailer writes it in RCPT TO (trimmed, its domain in punycode...), which is
 * how it names recipients in `accepted` and `rejected`: asked of nodemailer itself, one address
 * at a time (given all at once it also drops duplicates).
 */
function wireAddress(address: string): string {
  const known = wireForms.get(address);
  if (known !== undefined) return known;
  const MimeNode = mimeNode();
  const wire = new MimeNode().setEnvelope({ from: '', to: [address] }).getEnvelope().to[0] ?? '';
  if (wireForms.size >= WIRE_FORMS_KEPT) wireForms.clear();
  wireForms.set(address, wire);
  return wire;
}

/** What nodemailer accepts as a recipient (smtp-connection refuses the whole envelope otherwise). */
const WRITABLE_RECIPIENT = /^[^\r\n<>]+$/;

/** Parallel connections to the relay per sender (the outbox delivers a claimed batch at once). */
export const SMTP_POOL_CONNECTIONS = 4;

function smtpDelivery(url: string): MailDelivery {
  const transporter = nodemailer().createTransport({
    url,
    // Reuse connections: a fresh connection per mail cost ~100 ms on loopback (bench/results),
    // which capped replies at ~10/s; the pool sends a batch over a few open connections.
    pool: true,
    maxConnections: SMTP_POOL_CONNECTIONS,
    maxMessages: 1000,
    // A hung relay is given up on after these; meanwhile the sender renews its rows' lease, so
    // no other sender delivers them (only a sender that stopped renewing loses them).
    connectionTimeout: 30_000,
    greetingTimeout: 30_000,
    socketTimeout: 60_000,
  });
  return {
    description: `smtp ${url.replace(/(\/\/[^:/@]*:)[^@/]*@/, '$1***@')}`,
    async deliver(mail) {
      // Addresses nodemailer cannot write as a recipient would fail the whole mail: refused
      // on their own, the others still sent.
      const unwritable = mail.toReach.filter((address) => !WRITABLE_RECIPIENT.test(wireAddress(address)));
      const sendable = mail.toReach.filter((address) => !unwritable.includes(address));
      const notWritten = unwritable.map((address) => ({
        address,
        permanent: true,
        reply: 'not an address a mail can be sent to (nothing was sent to it)',
      }));
      if (sendable.length === 0) return { kind: 'answered', detail: '', accepted: [], refused: notWritten };
      try {
        const info = await transporter.sendMail({
          // '' is the null sender, MAIL FROM:<>: bounces of automatic mail must not come back to us.
          envelope: { from: mail.envelopeFrom, to: [...sendable] },
          raw: mail.raw,
        });
        const answered = recipientsAnswered(
          (info.accepted ?? []).map(String),
          (info as { rejectedErrors?: SmtpFailure[] }).rejectedErrors ?? [],
          sendable,
          redactApiKeys(String(info.response ?? '')),
        );
        return { ...answered, refused: [...answered.refused, ...notWritten] };
      } catch (error) {
        const outcome = classifySmtpFailure(error, sendable);
        return outcome.kind === 'answered'
          ? { ...outcome, refused: [...outcome.refused, ...notWritten] }
          : outcome;
      }
    },
    close() {
      transporter.close();
    },
  };
}

export function openMailDelivery(transport: ReplyTransport): MailDelivery {
  return transport.kind === 'folder' ? folderDelivery(transport.dir) : smtpDelivery(transport.url);
}
