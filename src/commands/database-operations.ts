/**
 * What `seed`, `demo`, `staff` and `validation run` do to the database, as operations that take JSON and answer
 * JSON: the command runs one on the database it opens itself, or, when a running daemon owns
 * the embedded database, asks the daemon to run it (database-channel.ts). Either way the same
 * code decides, and the command prints the same answer.
 */

import type { Config } from '../config/index.ts';
import { createStaffUser, listStaffAccounts, removeStaffAccount } from '../console/index.ts';
import type { Database } from '../db/index.ts';
import {
  findAccountByName,
  issueApiKey,
  listApiKeys,
  revokeApiKey,
  type SeedSummary,
  seedRegistry,
  validateSeed,
} from '../registry/index.ts';
import { fail, type Logger, ok, type Problem, problem, type Result } from '../shared/index.ts';

/** Where an operation runs: the database, and the settings and log of the process running it. */
export interface OperationContext {
  readonly db: Database;
  readonly config: Config;
  readonly logger: Logger;
}

/** A staff account as it travels: times as ISO 8601 text. */
export interface StaffAccountLine {
  readonly email: string;
  readonly mustChangePassword: boolean;
  readonly createdAt: string;
  readonly removedAt: string | null;
}

export interface OperationInputs {
  /** A seed file's JSON value (checked again here: it may come from another process). */
  readonly seed: { readonly file: unknown };
  readonly 'staff-add': { readonly email: string; readonly password: string; readonly oneTime: boolean };
  readonly 'staff-list': Record<string, never>;
  readonly 'staff-remove': { readonly email: string };
  /** The round's day as an ISO time. */
  readonly 'validation-run': { readonly asOf: string };
  /** An account by its name (the seed file's `name`). */
  readonly 'key-issue': { readonly account: string };
  readonly 'key-list': { readonly account: string };
  readonly 'key-revoke': { readonly key: string };
}

/** An account's key as it travels: redacted, times as ISO 8601 text. */
export interface ApiKeyLineText {
  readonly display: string;
  readonly createdAt: string;
  readonly revokedAt: string | null;
}

/** A validation round's report as it travels (what `validation run` prints). */
export interface ValidationRunLine {
  readonly round: string;
  readonly madeInvalid: readonly string[];
  readonly mailed: readonly string[];
  readonly alreadyMailed: number;
  readonly deferred?: readonly string[];
}

export interface OperationOutputs {
  readonly seed: SeedSummary;
  /** `reinstatedAfter`: the account had been removed then (ISO 8601), and is active again. */
  readonly 'staff-add': { readonly email: string; readonly reinstatedAfter?: string };
  readonly 'staff-list': readonly StaffAccountLine[];
  readonly 'staff-remove': { readonly email: string };
  readonly 'validation-run': ValidationRunLine;
  /** The new key in clear: the only time it is seen (only its digest is stored). */
  readonly 'key-issue': { readonly account: string; readonly key: string };
  readonly 'key-list': { readonly account: string; readonly keys: readonly ApiKeyLineText[] };
  readonly 'key-revoke': { readonly display: string };
}

export type OperationName = keyof OperationInputs;

type Operation<N extends OperationName> = (
  context: OperationContext,
  input: unknown,
) => Promise<Result<OperationOutputs[N]>>;

function badInput(name: OperationName, what: string): Result<never> {
  return fail(problem('E_BAD_REQUEST', `${name}: ${what}`));
}

function record(input: unknown): Record<string, unknown> {
  return input !== null && typeof input === 'object' && !Array.isArray(input)
    ? (input as Record<string, unknown>)
    : {};
}

const seed: Operation<'seed'> = async ({ db }, input) => {
  const checked = validateSeed(record(input)['file']);
  if (!checked.ok) {
    const messages = checked.error.map((p: Problem) => p.message).join('; ');
    return fail(problem('E_SEED_INVALID', messages));
  }
  return await seedRegistry(db, checked.value);
};

const staffAdd: Operation<'staff-add'> = async ({ db }, input) => {
  const { email, password, oneTime } = record(input);
  if (typeof email !== 'string' || typeof password !== 'string' || typeof oneTime !== 'boolean') {
    return badInput('staff-add', 'needs email and password (text) and oneTime (true or false)');
  }
  const created = await createStaffUser(db, email, password, { oneTime });
  if (!created.ok) return created;
  const after = created.value.reinstatedAfter;
  return ok({ email: created.value.email, ...(after ? { reinstatedAfter: after.toISOString() } : {}) });
};

const staffList: Operation<'staff-list'> = async ({ db }) =>
  ok(
    (await listStaffAccounts(db)).map((account) => ({
      email: account.email,
      mustChangePassword: account.mustChangePassword,
      createdAt: account.createdAt.toISOString(),
      removedAt: account.removedAt?.toISOString() ?? null,
    })),
  );

const staffRemove: Operation<'staff-remove'> = async ({ db }, input) => {
  const { email } = record(input);
  if (typeof email !== 'string') return badInput('staff-remove', 'needs email (text)');
  const removed = await removeStaffAccount(db, email);
  return removed.ok ? ok({ email: removed.value.email }) : removed;
};

/**
 * One round of the annual POC validation as of a day. Run where the database is: the round
 * writes its mail to the outbox, which the daemon (now, or at its next start) sends.
 */
const validationRun: Operation<'validation-run'> = async ({ db, config, logger }, input) => {
  const { asOf } = record(input);
  const day = typeof asOf === 'string' ? new Date(asOf) : undefined;
  if (!day || Number.isNaN(day.getTime())) return badInput('validation-run', 'needs asOf (an ISO time)');
  // Loaded here: the validation room brings BullMQ, which seed and staff do not need.
  const { runValidationRound } = await import('../validation/index.ts');
  const report = await runValidationRound({ db, config, logger }, day);
  return ok({
    round: report.round,
    madeInvalid: [...report.madeInvalid],
    mailed: [...report.mailed],
    alreadyMailed: report.alreadyMailed,
    ...(report.deferred ? { deferred: [...report.deferred] } : {}),
  });
};

/** Who the audit log names for a key issued or revoked at the terminal. */
const KEY_COMMAND_CONTEXT = { actor: { kind: 'system', name: 'operator (hostmasterd key)' } } as const;

async function accountNamed(db: Database, name: string) {
  const account = await findAccountByName(db, name);
  return account
    ? ok(account)
    : fail(problem('E_OBJECT_NOT_FOUND', `no account named "${name}" (the seed file's account name)`));
}

const keyIssue: Operation<'key-issue'> = async ({ db }, input) => {
  const { account: name } = record(input);
  if (typeof name !== 'string') return badInput('key-issue', 'needs account (its name)');
  return db.transaction(async (tx) => {
    const account = await accountNamed(tx, name);
    if (!account.ok) return account;
    const key = await issueApiKey(tx, account.value.id, { context: KEY_COMMAND_CONTEXT });
    return key.ok ? ok({ account: account.value.name, key: key.value }) : key;
  });
};

const keyList: Operation<'key-list'> = async ({ db }, input) => {
  const { account: name } = record(input);
  if (typeof name !== 'string') return badInput('key-list', 'needs account (its name)');
  const account = await accountNamed(db, name);
  if (!account.ok) return account;
  const keys = await listApiKeys(db, account.value.id);
  return ok({
    account: account.value.name,
    keys: keys.map((k) => ({
      display: k.display,
      createdAt: k.createdAt.toISOString(),
      revokedAt: k.revokedAt?.toISOString() ?? null,
    })),
  });
};

const keyRevoke: Operation<'key-revoke'> = async ({ db }, input) => {
  const { key } = record(input);
  if (typeof key !== 'string') return badInput('key-revoke', 'needs key (the whole key)');
  return db.transaction(async (tx) => {
    const revoked = await revokeApiKey(tx, KEY_COMMAND_CONTEXT, key);
    return revoked.ok ? ok({ display: revoked.value.display }) : revoked;
  });
};

export const DATABASE_OPERATIONS: { readonly [N in OperationName]: Operation<N> } = {
  seed,
  'staff-add': staffAdd,
  'staff-list': staffList,
  'staff-remove': staffRemove,
  'validation-run': validationRun,
  'key-issue': keyIssue,
  'key-list': keyList,
  'key-revoke': keyRevoke,
};

export function isOperationName(name: string): name is OperationName {
  return Object.hasOwn(DATABASE_OPERATIONS, name);
}
