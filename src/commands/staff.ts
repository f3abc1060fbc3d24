/**
 * `hostmasterd staff add EMAIL`: creates a console account. With a password piped on stdin
 * (first line), that is the password; otherwise a one-time password is printed, and the first
 * sign-in must replace it. `staff list` prints the accounts; `staff remove EMAIL` ends one (its
 * sessions too; the audit log keeps its name).
 */
import { generateOneTimePassword } from '../console/index.ts';
import { onDatabase } from './database-channel.ts';
import type { StaffAccountLine } from './database-operations.ts';
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
  const { result: created } = await onDatabase(deps.config, 'staff-add', { email, password, oneTime });
  if (!created.ok) {
    deps.stderr.write(`hostmasterd staff: ${created.error.code}: ${created.error.message}\n`);
    return created.error.code === 'E_STAFF_EXISTS' ? 73 : 65;
  }
  const after = created.value.reinstatedAfter;
  deps.stdout.write(
    after
      ? `staff account reinstated: ${created.value.email} (removed ${after}; its sessions of then stay ended)\n`
      : `staff account created: ${created.value.email}\n`,
  );
  if (oneTime) {
    deps.stdout.write(`one-time password: ${password}\n(it must be replaced at the first sign-in)\n`);
  }
  return 0;
}

/** One line per account, tab-separated for scripts: address, state, created (UTC). */
export function describeAccount(account: StaffAccountLine): string {
  const state = account.removedAt
    ? `removed ${account.removedAt}`
    : account.mustChangePassword
      ? 'active (one-time password not yet replaced)'
      : 'active';
  return `${account.email}\t${state}\tcreated ${account.createdAt}`;
}

async function listCommand(deps: CommandDeps): Promise<number> {
  const { result: accounts } = await onDatabase(deps.config, 'staff-list', {});
  if (!accounts.ok) {
    deps.stderr.write(`hostmasterd staff: ${accounts.error.code}: ${accounts.error.message}\n`);
    return 1;
  }
  if (accounts.value.length === 0) deps.stdout.write('no staff accounts (hostmasterd staff add EMAIL)\n');
  for (const account of accounts.value) deps.stdout.write(`${describeAccount(account)}\n`);
  return 0;
}

async function removeCommand(email: string, deps: CommandDeps): Promise<number> {
  const { result: removed } = await onDatabase(deps.config, 'staff-remove', { email });
  if (!removed.ok) {
    deps.stderr.write(`hostmasterd staff: ${removed.error.code}: ${removed.error.message}\n`);
    // EX_NOUSER for an address nobody has; an account removed before is no error to retry.
    return removed.error.code === 'E_STAFF_UNKNOWN' ? 67 : 0;
  }
  deps.stdout.write(`staff account removed: ${removed.value.email} (its sessions are ended)\n`);
  return 0;
}
