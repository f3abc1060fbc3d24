/**
 * `submit` on PostgreSQL: the message is committed with one insert (the row storeSubmission
 * writes, built here with pg alone) and a `NOTIFY` in the same transaction, and whichever ingress
 * or worker process listens adds the job (src/ingress/submission-listener.ts). This process loads
 * neither BullMQ and ioredis nor drizzle and the database room, which were most of a PostgreSQL
 * `submit`'s CPU (bench/results/cli-profile.md), and never asks Redis: once the row is committed
 * the message is durable and will be queued. A notification nobody heard (no daemon running, the
 * listener reconnecting, Redis down when it came) is made good by the sweepers: every ingress
 * and worker process sweeps at its start and after its listener comes back (submissions without
 * a job, whatever their age), and every minute (those older than 30 s); job id = submission id,
 * so a second add is harmless. Whether a listener is connected is looked up only to tell the MTA's
 * log that the message waits for a daemon to start.
 */
import { createHash } from 'node:crypto';
import type { Client } from 'pg';
import {
  decideDelivery,
  deliveryDigest,
  envelopeDryRunAddress,
  type MessageHead,
  type StoredDelivery,
  storableHeaderValue,
} from '../mail/index.ts';
import {
  describeError,
  isDataRefusal,
  lazyPackage,
  newSubmissionId,
  type Problem,
  redactApiKey,
  SUBMISSION_CHANNEL,
  SUBMISSION_LISTENER_NAME,
} from '../shared/index.ts';

const pg = lazyPackage<typeof import('pg')>('pg');

/**
 * pg asks, as it loads, whether it runs in a Cloudflare Worker: with no global `navigator` (Node 20
 * has none; Node 21 and later have one) it builds a `Response`, and Node then loads its whole
 * fetch implementation (undici) for that one look: about a fifth of this command's CPU
 * (bench/results/cli-profile.md, fourth round). So pg is loaded here with a `navigator` as Node 21
 * would have it, removed again at once; nothing else of pg reads it.
 */
function pgWithoutFetch(): typeof import('pg') {
  if ('navigator' in globalThis) return pg();
  Object.defineProperty(globalThis, 'navigator', {
    value: { userAgent: `Node.js/${process.versions.node}` },
    configurable: true,
  });
  try {
    return pg();
  } finally {
    Reflect.deleteProperty(globalThis, 'navigator');
  }
}

export interface StoredByNotification {
  readonly id: string;
  readonly duplicate: boolean;
  /** Whether an ingress or worker process was listening: if not, the job waits for one to start. */
  readonly heard: boolean;
}

export type NotificationOutcome =
  | { readonly kind: 'stored'; readonly stored: StoredByNotification }
  | { readonly kind: 'refused'; readonly problem: Problem }
  | { readonly kind: 'unavailable'; readonly problem: Problem };

/** Whether a daemon listens: a connection of this database under the listener's name. */
const LISTENING = `select exists (select 1 from pg_stat_activity
  where datname = current_database() and application_name = $1) as listening`;

/**
 * storeSubmission's insert (src/ingress/store.ts), column for column; a delivery that meets a
 * stored one is decided as storeSubmission decides it (decideDelivery).
 */
const INSERT = `insert into submissions (id, raw, raw_sha256, delivery_sha256, message_id, size_bytes,
    envelope_from, envelope_to, remote_address, helo_name, via, from_address, subject)
  values ($1, decode($2, 'hex'), $3, $4, $5, $6, $7, $8, null, null, 'stdin', $9, $10)
  on conflict (message_id, delivery_sha256) do nothing
  returning id, state`;
const WITH_MESSAGE_ID = `select id, state, delivery_sha256 as "deliverySha256", refusal_code as "refusalCode",
    answer_trust as "answerTrust", remote_address as "remoteAddress", helo_name as "heloName",
    envelope_from as "envelopeFrom"
  from submissions where message_id = $1 order by received_at`;
/** As storeSubmission: a delivery whose insert keeps meeting rows that change under it is asked to come again. */
const MAX_DELIVERY_TRIES = 4;

/** As acceptMessage: a duplicate whose submission is already handled needs no job. */
const UNHANDLED = new Set(['received', 'processing']);

export async function storeByNotification(
  url: string,
  message: {
    readonly raw: Buffer;
    readonly head: MessageHead;
    readonly envelope: { readonly mailFrom: string; readonly rcptTo: readonly string[] };
  },
  /** DRY_RUN_ADDRESS: an envelope naming one makes the delivery a dry run, never one with a real run. */
  dryRunAddresses: readonly string[] = [],
): Promise<NotificationOutcome> {
  const client: Client = new (pgWithoutFetch().Client)({
    connectionString: url,
    connectionTimeoutMillis: 5_000,
    // storeSubmission's caller gives the database 15 s before answering "try again".
    query_timeout: 15_000,
  });
  // A connection lost while idle must not end the process with an unhandled 'error'.
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (error) {
    return unavailable(error);
  }
  let inTransaction = false;
  try {
    const listening = await client.query<{ listening: boolean }>(LISTENING, [SUBMISSION_LISTENER_NAME]);
    const heard = listening.rows[0]?.listening === true;
    const { raw, head, envelope } = message;
    const first = deliveryDigest(raw, {
      sentToDryRun: envelopeDryRunAddress(envelope.rcptTo, dryRunAddresses) !== undefined,
    });
    const envelopeFrom = storableHeaderValue(envelope.mailFrom);
    // `submit` has no SMTP client: the envelope sender alone tells its deliveries apart.
    const sender = { remoteAddress: null, heloName: null, envelopeFrom };
    const values = (deliverySha256: string) => [
      newSubmissionId(),
      raw.toString('hex'),
      createHash('sha256').update(raw).digest('hex'),
      deliverySha256,
      head.messageId,
      raw.length,
      envelopeFrom,
      envelope.rcptTo.map((to) => storableHeaderValue(to)),
      head.fromAddress ?? null,
      // The console lists subjects: a key written there must not show (the raw bytes keep it).
      head.subject === undefined ? null : redactApiKey(head.subject),
    ];
    await client.query('begin');
    inTransaction = true;
    let row: { id: string; state: string } | undefined;
    let duplicate = false;
    let deliverySha256 = first;
    for (let tries = 0; tries < MAX_DELIVERY_TRIES && !row; tries++) {
      row = (await client.query<{ id: string; state: string }>(INSERT, values(deliverySha256))).rows[0];
      if (row) break;
      const stored = await client.query<StoredDelivery>(WITH_MESSAGE_ID, [head.messageId]);
      const decision = decideDelivery(first, stored.rows, sender);
      if (decision.kind === 'undecided') break;
      if (decision.kind === 'same') {
        row = decision.stored;
        duplicate = true;
      } else deliverySha256 = decision.deliverySha256;
    }
    if (!row) {
      await client.query('rollback');
      inTransaction = false;
      return { kind: 'unavailable', problem: undecidedDelivery() };
    }
    if (UNHANDLED.has(row.state))
      await client.query('select pg_notify($1, $2)', [SUBMISSION_CHANNEL, row.id]);
    await client.query('commit');
    inTransaction = false;
    return { kind: 'stored', stored: { id: row.id, duplicate, heard } };
  } catch (error) {
    if (inTransaction) await client.query('rollback').catch(() => {});
    // As storeSubmission: what PostgreSQL refuses as data is refused again on every try.
    if (isDataRefusal(error)) {
      return {
        kind: 'refused',
        problem: {
          code: 'E_UNSTORABLE_MESSAGE',
          message: `the message could not be stored as it is (${describeError(error)}); it was not accepted, please write to the hostmaster by other means`,
        },
      };
    }
    return unavailable(error);
  } finally {
    await client.end().catch(() => {});
  }
}

/** storeSubmission's E_DELIVERY_UNDECIDED, word for word. */
function undecidedDelivery(): Problem {
  return {
    code: 'E_DELIVERY_UNDECIDED',
    message:
      'the same message, delivered from another server, is still being checked; please try again later',
  };
}

function unavailable(error: unknown): NotificationOutcome {
  return {
    kind: 'unavailable',
    problem: {
      code: 'E_DATABASE_UNAVAILABLE',
      message: `the message could not be stored: ${describeError(error)}`,
    },
  };
}
