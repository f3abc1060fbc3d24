/**
 * `hostmasterd staff add EMAIL`: creates a console account. With a password piped on stdin
 * (first line), that is the password; otherwise a one-time password is printed, and the first
 * sign-in must replace it.
 */
import { createStaffUser, generateOneTimePassword } from '../console/index.ts';
import { openDatabase } from '../db/index.ts';
import type { CommandDeps } from './types.ts';

const USAGE =
  'usage: hostmasterd staff add EMAIL   (pipe a password on stdin to set it, else one is printed)';

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
