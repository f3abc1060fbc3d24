/**
 * `hostmasterd key issue ACCOUNT`: gives the account a new API key and prints it, the only time
 * it is ever shown (only its digest is stored). `key list ACCOUNT` prints the account's keys
 * redacted to their last group, with when each was issued and revoked. `key revoke KEY` ends a
 * key (a leaked one): mail carrying it is refused from then on. Each change is in the audit log.
 * Run against the database as `staff` is: directly, or through the running daemon that holds
 * the embedded database.
 */
import { onDatabase } from './database-channel.ts';
import type { ApiKeyLineText } from './database-operations.ts';
import type { CommandDeps } from './types.ts';

const USAGE = [
  'usage: hostmasterd key issue ACCOUNT    (prints the new key once: hand it over, it is not shown again)',
  '       hostmasterd key list ACCOUNT',
  '       hostmasterd key revoke KEY',
].join('\n');

/** EX_NOUSER: no such account, or no such key still valid. */
const EXIT_NOT_FOUND = 67;

/** One line per key, tab-separated for scripts: the key redacted, its state, issued (UTC). */
function describeKey(key: ApiKeyLineText): string {
  const state = key.revokedAt ? `revoked ${key.revokedAt}` : 'active';
  return `${key.display}\t${state}\tissued ${key.createdAt}`;
}

export async function keyCommand(args: string[], deps: CommandDeps): Promise<number> {
  const [verb, what, ...extra] = args;
  if (!what || extra.length > 0 || !['issue', 'list', 'revoke'].includes(verb ?? '')) {
    deps.stderr.write(`${USAGE}\n`);
    return 64;
  }
  const failed = (p: { readonly code: string; readonly message: string }) => {
    deps.stderr.write(`hostmasterd key: ${p.code}: ${p.message}\n`);
    return p.code === 'E_OBJECT_NOT_FOUND' ? EXIT_NOT_FOUND : 65;
  };
  if (verb === 'issue') {
    const { result } = await onDatabase(deps.config, 'key-issue', { account: what });
    if (!result.ok) return failed(result.error);
    deps.stdout.write(`API key issued to ${result.value.account}: ${result.value.key}\n`);
    deps.stdout.write('(shown only now: only its digest is kept)\n');
    return 0;
  }
  if (verb === 'list') {
    const { result } = await onDatabase(deps.config, 'key-list', { account: what });
    if (!result.ok) return failed(result.error);
    if (result.value.keys.length === 0)
      deps.stdout.write(`no API keys for ${result.value.account} (hostmasterd key issue ACCOUNT)\n`);
    for (const key of result.value.keys) deps.stdout.write(`${describeKey(key)}\n`);
    return 0;
  }
  const { result } = await onDatabase(deps.config, 'key-revoke', { key: what });
  if (!result.ok) return failed(result.error);
  deps.stdout.write(`API key revoked: ${result.value.display} (mail carrying it is refused from now on)\n`);
  return 0;
}
