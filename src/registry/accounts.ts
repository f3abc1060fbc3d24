/**
 * Accounts (the stand-in for the registry's web accounts): e-mail addresses and the POCs they
 * speak for; and their API keys, kept only as SHA-256 digests with a redacted form for display.
 * Keys are long random values, so a fast hash is enough (no password-style KDF needed).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { and, asc, eq, isNull } from 'drizzle-orm';
import { type Executor, type Transaction, tables } from '../db/index.ts';
import { fail, ok, type Problem, problem, type Result, redactKey } from '../shared/index.ts';
import { writeAudit } from './audit.ts';
import { findPoc } from './lookups.ts';
import { checkEmails, checkHandle } from './rules.ts';
import type { OperationContext } from './types.ts';

/** `API-` and four to eight groups of four hex digits (any case as written; stored upper-case). */
export const API_KEY_SHAPE = /^API(?:-[0-9A-F]{4}){4,8}$/;

export interface Account {
  readonly id: number;
  readonly name: string;
  /** Lower-cased. */
  readonly emails: readonly string[];
  readonly pocHandles: readonly string[];
}

export interface NewAccount {
  readonly name: string;
  readonly emails: readonly string[];
  readonly pocHandles: readonly string[];
}

/** The one digest of an API key: SHA-256 (hex) of the key trimmed and upper-cased. */
export function apiKeyDigest(key: string): string {
  return createHash('sha256').update(key.trim().toUpperCase()).digest('hex');
}

export function normalizeApiKey(key: string): string {
  return key.trim().toUpperCase();
}

export function isApiKey(key: string): boolean {
  return API_KEY_SHAPE.test(normalizeApiKey(key));
}

/** A new random key in the classic form `API-XXXX-XXXX-XXXX-XXXX` (64 random bits). */
export function generateApiKey(): string {
  const hex = randomBytes(8).toString('hex').toUpperCase();
  return `API-${hex.slice(0, 4)}-${hex.slice(4, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}`;
}

const SYSTEM_CONTEXT: OperationContext = { actor: { kind: 'system', name: 'accounts' } };

export async function loadAccount(ex: Executor, id: number): Promise<Account | undefined> {
  const [row] = await ex.select().from(tables.accounts).where(eq(tables.accounts.id, id));
  if (!row) return undefined;
  const emails = await ex
    .select({ email: tables.accountEmails.email })
    .from(tables.accountEmails)
    .where(eq(tables.accountEmails.accountId, id))
    .orderBy(asc(tables.accountEmails.email));
  return {
    id: row.id,
    name: row.name,
    emails: emails.map((e) => e.email),
    pocHandles: await accountPocHandles(ex, id),
  };
}

export async function findAccountByName(ex: Executor, name: string): Promise<Account | undefined> {
  const [row] = await ex
    .select({ id: tables.accounts.id })
    .from(tables.accounts)
    .where(eq(tables.accounts.name, name));
  return row ? loadAccount(ex, row.id) : undefined;
}

async function checkAccount(
  tx: Transaction,
  input: NewAccount,
): Promise<Result<{ emails: string[]; pocs: string[] }>> {
  if (!input.name.trim()) return fail(problem('E_MISSING_FIELD', 'an account needs a name'));
  const emails = checkEmails(input.emails, 'account e-mail address');
  if (!emails.ok) return emails;
  const pocs: string[] = [];
  for (const raw of input.pocHandles) {
    const handle = checkHandle('poc', raw);
    if (!handle.ok) return handle;
    if (!(await findPoc(tx, handle.value))) {
      return fail(problem('E_OBJECT_NOT_FOUND', `POC ${handle.value} does not exist`));
    }
    if (!pocs.includes(handle.value)) pocs.push(handle.value);
  }
  return ok({ emails: emails.value, pocs });
}

export async function createAccount(
  tx: Transaction,
  context: OperationContext,
  input: NewAccount,
): Promise<Result<Account, Problem>> {
  const checked = await checkAccount(tx, input);
  if (!checked.ok) return checked;
  const name = input.name.trim();
  if (await findAccountByName(tx, name))
    return fail(problem('E_DUPLICATE', `account "${name}" already exists`));
  const [row] = await tx.insert(tables.accounts).values({ name }).returning();
  const id = row!.id;
  await tx
    .insert(tables.accountEmails)
    .values(checked.value.emails.map((email) => ({ accountId: id, email })));
  if (checked.value.pocs.length) {
    await tx
      .insert(tables.accountPocs)
      .values(checked.value.pocs.map((pocHandle) => ({ accountId: id, pocHandle })));
  }
  const account: Account = { id, name, emails: checked.value.emails, pocHandles: checked.value.pocs };
  await writeAudit(tx, context, {
    action: 'create',
    objectType: 'account',
    objectHandle: String(id),
    after: account,
  });
  return ok(account);
}

/** Makes an account's e-mail addresses and linked POCs exactly these (used by the seed). */
export async function updateAccount(
  tx: Transaction,
  context: OperationContext,
  id: number,
  input: NewAccount,
): Promise<Result<{ account: Account; changed: boolean }, Problem>> {
  const before = await loadAccount(tx, id);
  if (!before) return fail(problem('E_OBJECT_NOT_FOUND', `account ${id} does not exist`));
  const checked = await checkAccount(tx, input);
  if (!checked.ok) return checked;
  const same = (a: readonly string[], b: readonly string[]) =>
    a.length === b.length && a.every((x) => b.includes(x));
  if (same(before.emails, checked.value.emails) && same(before.pocHandles, checked.value.pocs)) {
    return ok({ account: before, changed: false });
  }
  await tx.delete(tables.accountEmails).where(eq(tables.accountEmails.accountId, id));
  await tx
    .insert(tables.accountEmails)
    .values(checked.value.emails.map((email) => ({ accountId: id, email })));
  await tx.delete(tables.accountPocs).where(eq(tables.accountPocs.accountId, id));
  if (checked.value.pocs.length) {
    await tx
      .insert(tables.accountPocs)
      .values(checked.value.pocs.map((pocHandle) => ({ accountId: id, pocHandle })));
  }
  const after = (await loadAccount(tx, id))!;
  await writeAudit(tx, context, {
    action: 'modify',
    objectType: 'account',
    objectHandle: String(id),
    before,
    after,
  });
  return ok({ account: after, changed: true });
}

export interface IssueApiKeyOptions {
  /** Store this key instead of generating one (seed files, the demo registry). */
  readonly key?: string;
  readonly context?: OperationContext;
}

/**
 * Gives the account a new API key and returns it in clear: the only time it is ever seen, since
 * only its digest is stored. A given key that is malformed or already stored is refused.
 */
export async function issueApiKey(
  tx: Transaction,
  accountId: number,
  options: IssueApiKeyOptions = {},
): Promise<Result<string, Problem>> {
  const key = options.key === undefined ? generateApiKey() : normalizeApiKey(options.key);
  if (!API_KEY_SHAPE.test(key)) {
    return fail(
      problem('E_INVALID_API_KEY', `"${redactKey(key)}" is not an API key (API-XXXX-XXXX-XXXX-XXXX)`),
    );
  }
  const [account] = await tx.select().from(tables.accounts).where(eq(tables.accounts.id, accountId));
  if (!account) return fail(problem('E_OBJECT_NOT_FOUND', `account ${accountId} does not exist`));
  const inserted = await tx
    .insert(tables.apiKeys)
    .values({ accountId, digest: apiKeyDigest(key), display: redactKey(key) })
    .onConflictDoNothing()
    .returning();
  if (inserted.length === 0)
    return fail(problem('E_DUPLICATE', `API key ${redactKey(key)} is already in use`));
  await writeAudit(tx, options.context ?? SYSTEM_CONTEXT, {
    action: 'create',
    objectType: 'api_key',
    objectHandle: redactKey(key),
    after: { accountId, display: redactKey(key) },
  });
  return ok(key);
}

/** Stores a given key for an account unless it is already stored for it (seeding twice is harmless). */
export async function ensureApiKey(
  tx: Transaction,
  context: OperationContext,
  accountId: number,
  key: string,
): Promise<Result<'created' | 'unchanged', Problem>> {
  const [existing] = await tx
    .select()
    .from(tables.apiKeys)
    .where(eq(tables.apiKeys.digest, apiKeyDigest(key)));
  if (existing) {
    if (existing.accountId === accountId) return ok('unchanged');
    return fail(
      problem('E_DUPLICATE', `API key ${redactKey(normalizeApiKey(key))} belongs to another account`),
    );
  }
  const issued = await issueApiKey(tx, accountId, { key, context });
  return issued.ok ? ok('created') : issued;
}

export async function revokeApiKey(
  tx: Transaction,
  context: OperationContext,
  key: string,
): Promise<Result<{ readonly display: string; readonly accountId: number }>> {
  const [row] = await tx
    .update(tables.apiKeys)
    .set({ revokedAt: new Date() })
    .where(and(eq(tables.apiKeys.digest, apiKeyDigest(key)), isNull(tables.apiKeys.revokedAt)))
    .returning();
  if (!row)
    return fail(problem('E_OBJECT_NOT_FOUND', `no active API key ${redactKey(normalizeApiKey(key))}`));
  await writeAudit(tx, context, {
    action: 'revoke',
    objectType: 'api_key',
    objectHandle: row.display,
    after: { accountId: row.accountId, display: row.display, revokedAt: row.revokedAt },
  });
  return ok({ display: row.display, accountId: row.accountId });
}

/** An account's key as staff may see it: redacted to its last group, with when it was issued and revoked. */
export interface ApiKeyLine {
  readonly display: string;
  readonly createdAt: Date;
  readonly revokedAt: Date | null;
}

/** The account's keys, oldest first, never in clear (only their digests are stored). */
export async function listApiKeys(ex: Executor, accountId: number): Promise<ApiKeyLine[]> {
  return ex
    .select({
      display: tables.apiKeys.display,
      createdAt: tables.apiKeys.createdAt,
      revokedAt: tables.apiKeys.revokedAt,
    })
    .from(tables.apiKeys)
    .where(eq(tables.apiKeys.accountId, accountId))
    .orderBy(asc(tables.apiKeys.createdAt), asc(tables.apiKeys.id));
}

/**
 * The account an API key belongs to. Looked up by digest, then the digests compared in constant
 * time. Errors: E_INVALID_API_KEY (not key-shaped), E_UNKNOWN_API_KEY, E_API_KEY_REVOKED.
 */
export async function findAccountByApiKey(ex: Executor, key: string): Promise<Result<Account, Problem>> {
  if (!isApiKey(key))
    return fail(problem('E_INVALID_API_KEY', 'the API key is not of the form API-XXXX-XXXX-XXXX-XXXX'));
  const digest = apiKeyDigest(key);
  const [row] = await ex.select().from(tables.apiKeys).where(eq(tables.apiKeys.digest, digest));
  const wanted = Buffer.from(digest, 'hex');
  const stored = Buffer.from(row?.digest ?? '0'.repeat(64), 'hex');
  if (!row || stored.length !== wanted.length || !timingSafeEqual(stored, wanted)) {
    return fail(problem('E_UNKNOWN_API_KEY', `API key ${redactKey(normalizeApiKey(key))} is not known`));
  }
  if (row.revokedAt) {
    return fail(
      problem('E_API_KEY_REVOKED', `API key ${row.display} was revoked; ask hostmaster staff for a new one`),
    );
  }
  const account = await loadAccount(ex, row.accountId);
  if (!account) return fail(problem('E_UNKNOWN_API_KEY', `API key ${row.display} is not known`));
  return ok(account);
}

/** Accounts that list this e-mail address (compared lower-case). */
export async function findAccountsByEmail(ex: Executor, email: string): Promise<Account[]> {
  const rows = await ex
    .select({ id: tables.accountEmails.accountId })
    .from(tables.accountEmails)
    .where(eq(tables.accountEmails.email, email.trim().toLowerCase()))
    .orderBy(asc(tables.accountEmails.accountId));
  const accounts: Account[] = [];
  for (const { id } of rows) {
    const account = await loadAccount(ex, id);
    if (account) accounts.push(account);
  }
  return accounts;
}

export async function accountPocHandles(ex: Executor, accountId: number): Promise<string[]> {
  const rows = await ex
    .select({ pocHandle: tables.accountPocs.pocHandle })
    .from(tables.accountPocs)
    .where(eq(tables.accountPocs.accountId, accountId))
    .orderBy(asc(tables.accountPocs.pocHandle));
  return rows.map((r) => r.pocHandle);
}
