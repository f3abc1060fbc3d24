/**
 * Commits a received message to `submissions`, exactly as received. A second delivery of the
 * same message (same Message-ID and the same bytes below the trace fields relays put on top:
 * an MTA resending after a lost 250, or the message arriving by a second path) finds the first
 * row through the unique index `submissions_delivery_idx` instead of making a second submission,
 * as far as it cannot mean something else (src/mail/delivery-digest.ts, `decideDelivery`): a
 * dry run by envelope is another delivery than a real run of the same bytes, and a delivery
 * refused unverified does not stand for one from another client.
 */
import { createHash } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { type Executor, isDataRefusal, type SubmissionState, tables } from '../db/index.ts';
import {
  decideDelivery,
  deliveryDigest,
  envelopeDryRunAddress,
  type MessageHead,
  readMessageHead,
  storableHeaderValue,
} from '../mail/index.ts';
import {
  describeError,
  fail,
  newSubmissionId,
  ok,
  problem,
  type Result,
  redactApiKey,
} from '../shared/index.ts';

export interface Envelope {
  /** MAIL FROM; '' for the null sender (bounces). */
  readonly mailFrom: string;
  readonly rcptTo: readonly string[];
}

export type SubmissionVia = 'smtp' | 'stdin' | 'console';

export interface IncomingMessage {
  readonly raw: Buffer;
  readonly envelope: Envelope;
  readonly via: SubmissionVia;
  readonly remoteAddress?: string | undefined;
  readonly heloName?: string | undefined;
  /** The head of `raw` when the caller has already read it (the SMTP ingress has): not parsed twice. */
  readonly head?: MessageHead | undefined;
  /** SHA-256 (hex) of `raw` when the caller computed it as the bytes arrived (the SMTP ingress does). */
  readonly rawSha256?: string | undefined;
}

export interface StoredSubmission {
  readonly id: string;
  /** True when this message was already stored: `id` is the first delivery's. */
  readonly duplicate: boolean;
  readonly state: SubmissionState;
  readonly fromAddress: string | undefined;
}

export interface StoreOptions {
  /** Refuse larger messages (the SMTP size limit also applies to `submit`). */
  readonly maxBytes?: number;
  /** DRY_RUN_ADDRESS: an envelope naming one makes the delivery a dry run, never one with a real run. */
  readonly dryRunAddresses?: readonly string[];
}

/** A delivery whose insert keeps meeting rows that change under it: asked to come again. */
const MAX_DELIVERY_TRIES = 4;

/**
 * Errors: E_EMPTY_MESSAGE, E_NOT_A_MAIL, E_MESSAGE_TOO_LARGE, E_UNSTORABLE_MESSAGE (permanent), E_DATABASE_UNAVAILABLE
 * (temporary: nothing was stored, or a row was stored that the sweeper will queue),
 * E_DELIVERY_UNDECIDED (temporary: the same message from another client is not decided yet).
 */
export async function storeSubmission(
  db: Executor,
  message: IncomingMessage,
  options: StoreOptions = {},
): Promise<Result<StoredSubmission>> {
  const maxBytes = options.maxBytes ?? Number.MAX_SAFE_INTEGER;
  const head =
    message.head && message.raw.length <= maxBytes
      ? ok(message.head)
      : await readMessageHead(message.raw, maxBytes);
  if (!head.ok) return head;
  const { messageId, fromAddress, subject } = head.value;
  const rawSha256 = message.rawSha256 ?? createHash('sha256').update(message.raw).digest('hex');
  const sentToDryRun =
    envelopeDryRunAddress(message.envelope.rcptTo, options.dryRunAddresses ?? []) !== undefined;
  const first = deliveryDigest(message.raw, { sentToDryRun });
  const client = {
    remoteAddress: message.remoteAddress ?? null,
    heloName: message.heloName === undefined ? null : storableHeaderValue(message.heloName),
    envelopeFrom: storableHeaderValue(message.envelope.mailFrom),
  };
  try {
    const values: InsertValues = {
      id: newSubmissionId(),
      rawHex: message.raw.toString('hex'),
      rawSha256,
      deliverySha256: first,
      messageId,
      sizeBytes: message.raw.length,
      envelopeFrom: client.envelopeFrom,
      envelopeTo: message.envelope.rcptTo.map((to) => storableHeaderValue(to)),
      remoteAddress: client.remoteAddress,
      heloName: client.heloName,
      via: message.via,
      fromAddress: fromAddress ?? null,
      // The console lists subjects: a key written there must not show (the raw bytes keep it).
      subject: subject === undefined ? null : redactApiKey(subject),
    };
    let deliverySha256 = first;
    for (let tries = 0; tries < MAX_DELIVERY_TRIES; tries++) {
      const inserted = await insertFor(db).execute({ ...values, deliverySha256 });
      const row = inserted[0];
      if (row) return ok({ id: row.id, duplicate: false, state: row.state, fromAddress });
      const decision = decideDelivery(first, await storedWithMessageId(db, messageId), client);
      if (decision.kind === 'same') {
        const { id, state } = decision.stored;
        return ok({ id, duplicate: true, state, fromAddress });
      }
      if (decision.kind === 'undecided') return fail(undecided());
      deliverySha256 = decision.deliverySha256;
    }
    return fail(undecided());
  } catch (error) {
    // What the database refuses as data (SQLSTATE class 22, or 54 for a value over a limit) is
    // refused again on every try: the sender must hear so (5xx, its MTA bounces it with our
    // reason), not "try again" until its MTA gives up days later. The head values are cleaned
    // before they are stored (storableHeaderValue), so this is for what nobody foresaw.
    if (isDataRefusal(error)) {
      return fail(
        problem(
          'E_UNSTORABLE_MESSAGE',
          `the message could not be stored as it is (${describeError(error)}); it was not accepted, please write to the hostmaster by other means`,
        ),
      );
    }
    return fail(
      problem('E_DATABASE_UNAVAILABLE', `the message could not be stored: ${describeError(error)}`),
    );
  }
}

function undecided() {
  return problem(
    'E_DELIVERY_UNDECIDED',
    'the same message, delivered from another server, is still being checked; please try again later',
  );
}

/** The submissions with this Message-ID, as `decideDelivery` looks at them (few: a message's deliveries). */
async function storedWithMessageId(db: Executor, messageId: string) {
  const { submissions } = tables;
  return db
    .select({
      id: submissions.id,
      state: submissions.state,
      deliverySha256: submissions.deliverySha256,
      refusalCode: submissions.refusalCode,
      answerTrust: submissions.answerTrust,
      remoteAddress: submissions.remoteAddress,
      heloName: submissions.heloName,
      envelopeFrom: submissions.envelopeFrom,
    })
    .from(submissions)
    .where(eq(submissions.messageId, messageId))
    .orderBy(submissions.receivedAt);
}

/**
 * The insert, built once per database handle: drizzle's query building and PostgreSQL's parse
 * are not repeated for every message (a named statement, prepared once per pooled connection).
 */
function buildInsert(db: Executor) {
  const { submissions } = tables;
  const value = (name: Exclude<keyof InsertValues, 'rawHex'>) => sql.placeholder(name);
  return db
    .insert(submissions)
    .values({
      id: value('id'),
      // As hex text decoded by the database: PGlite turns a bytea parameter into hex through a
      // JavaScript array of one string per byte, hundreds of megabytes and seconds of blocked
      // event loop for a 10 MB message; Buffer's own hex encoding is one native pass.
      raw: sql`decode(${sql.placeholder('rawHex')}, 'hex')`,
      rawSha256: value('rawSha256'),
      deliverySha256: value('deliverySha256'),
      messageId: value('messageId'),
      sizeBytes: value('sizeBytes'),
      envelopeFrom: value('envelopeFrom'),
      envelopeTo: value('envelopeTo'),
      remoteAddress: value('remoteAddress'),
      heloName: value('heloName'),
      via: value('via'),
      fromAddress: value('fromAddress'),
      subject: value('subject'),
    })
    .onConflictDoNothing({ target: [submissions.messageId, submissions.deliverySha256] })
    .returning({ id: submissions.id, state: submissions.state })
    .prepare('hostmasterd_store_submission');
}

/** What the prepared insert is given: every column it names, as the table types them (the raw bytes as hex). */
type InsertValues = { readonly rawHex: string } & Required<
  Pick<
    typeof tables.submissions.$inferInsert,
    | 'id'
    | 'rawSha256'
    | 'deliverySha256'
    | 'messageId'
    | 'sizeBytes'
    | 'envelopeFrom'
    | 'envelopeTo'
    | 'remoteAddress'
    | 'heloName'
    | 'via'
    | 'fromAddress'
    | 'subject'
  >
>;

const prepared = new WeakMap<Executor, ReturnType<typeof buildInsert>>();

function insertFor(db: Executor): ReturnType<typeof buildInsert> {
  let insert = prepared.get(db);
  if (!insert) {
    insert = buildInsert(db);
    prepared.set(db, insert);
  }
  return insert;
}
