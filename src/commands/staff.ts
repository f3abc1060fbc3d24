/**
 * `hostmasterd staff add EMAIL`: creates a console account. With a password piped on stdin
 * (first line), that is the password; otherwise a one-time password is printed, and the first
 * sign-in must replace it. `staff list` prints the accounts; `staff remove EMAIL` ends one (its
 * sessions too; the audit log keeps its name).
 */
import {
  createStaffUser,
  generateOneTimePassword,
  listStaffAccounts,
  removeStaffAccount,
  type StaffAccount,
} from '../console/index.ts';
import { openDatabase } from '../db/index.ts';
import type { CommandDeps } from './types.ts';

const USAGE = [
  'usage: hostmasterd staff add EMAIL      (pipe a password on stdin to set it, else one is printed)',
  '       hostmasterd staff list',
  '       hostmasterd staff remove EMAIL',
].join('\n');

/** How long to wait for a piped password before deciding nothing is coming. */
const STDIN_WAIT_MS = 10_000;

async function readFirstLine(stdin: NodeJS.ReadableStream): Promise<string> {
  if ((stdin as { isTTY?: boolean }).isTTY) return '';
  return await new Promise((resolve, reject) => {
    let text = '';
    const finish = () => {
      clearTimeout(timer);
      stdin.removeAllListeners('data');
      stdin.removeAllListeners('end');
      stdin.removeAllListeners('error');
      if ('pause' in stdin) stdin.pause();
      resolve((text.split(/\r?\n/)[0] ?? '').trim());
    };
    const timer = setTimeout(finish, STDIN_WAIT_MS);
    stdin.setEncoding?.('utf8');
    stdin.on('data', (chunk: string | Buffer) => {
      text += chunk.toString();
      if (text.includes('\n') || text.length > 4096) finish();
    });
    stdin.on('end', finish);
    stdin.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

export async function staffCommand(
  args: string[],
  deps: CommandDeps & { stdin: NodeJS.ReadableStream },
): Promise<number> {
  const [verb, email, ...extra] = args;
  if (verb === 'list' && !email) return await listCommand(deps);
  if (verb === 'remove' && email && extra.length === 0) return await removeCommand(email, deps);
  if (verb !== 'add' || !email || extra.length > 0) {
    deps.stderr.write(`${USAGE}\n`);
    return 64;
  }
  const piped = await readFirstLine(deps.stdin);
  const oneTime = piped === '';
  const password = oneTime ? generateOneTimePassword() : piped;
  const handle = await openDatabase(deps.config.database);
  try {
    const created = await createStaffUser(handle.db, email, password, { oneTime });
    if (!created.ok) {
      deps.stderr.write(`hostmasterd staff: ${created.error.code}: ${created.error.message}\n`);
      return created.error.code === 'E_STAFF_EXISTS' ? 73 : 65;
    }
    deps.stdout.write(`staff account created: ${created.value.email}\n`);
    if (oneTime) {
      deps.stdout.write(`one-time password: ${password}\n(it must be replaced at the first sign-in)\n`);
    }
    return 0;
  } finally {
    await handle.close();
  }
}

/** One line per account, tab-separated for scripts: address, state, created (UTC). */
export function describeAccount(account: StaffAccount): string {
  const state = account.removedAt
    ? `removed ${account.removedAt.toISOString()}`
    : account.mustChangePassword
      ? 'active (one-time password not yet replaced)'
      : 'active';
  return `${account.email}\t${state}\tcreated ${account.createdAt.toISOString()}`;
}

async function listCommand(deps: CommandDeps): Promise<number> {
  const handle = await openDatabase(deps.config.database);
  try {
    const accounts = await listStaffAccounts(handle.db);
    if (accounts.length === 0) deps.stdout.write('no staff accounts (hostmasterd staff add EMAIL)\n');
    for (const account of accounts) deps.stdout.write(`${describeAccount(account)}\n`);
    return 0;
  } finally {
    await handle.close();
  }
}

async function removeCommand(email: string, deps: CommandDeps): Promise<number> {
  const handle = await openDatabase(deps.config.database);
  try {
    const removed = await removeStaffAccount(handle.db, email);
    if (!removed.ok) {
      deps.stderr.write(`hostmasterd staff: ${removed.error.code}: ${removed.error.message}\n`);
      // EX_NOUSER for an address nobody has; an account removed before is no error to retry.
      return removed.error.code === 'E_STAFF_UNKNOWN' ? 67 : 0;
    }
    deps.stdout.write(`staff account removed: ${removed.value.email} (its sessions are ended)\n`);
    return 0;
  } finally {
    await handle.close();
  }
}
