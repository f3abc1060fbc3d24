/**
 * The `hostmasterd` command. Each sub-command lives in src/commands/ and is loaded only when
 * asked for, so `submit` (run by an MTA for every message) does not load the console.
 */
import { parseArgs } from 'node:util';
import type { CommandDeps } from './commands/types.ts';
import { type Config, loadConfig } from './config/index.ts';
import { ProblemError } from './shared/index.ts';

const USAGE = `Usage: hostmasterd <command> [options]

Commands:
  start [--role ingress|worker|console]...   run the daemon (every role by default)
  submit < message.eml                       accept one message from stdin (exit 0 accepted, 75 try again, 65 refused)
  seed FILE.json                             load orgs, POCs, nets, accounts and API keys
  demo                                       load the demo registry and print its API key
  lint [--against-registry] FILE...          show what the daemon would make of mail or template files
                                             (--against-registry: a dry run against the local database)
  outbox                                     print the latest reply in DATA_DIR/outbox, decoded
  staff add EMAIL                            create a console account (prints a one-time password)
  staff list                                 list the console accounts, one a line
  staff remove EMAIL                         disable a console account and end its sessions
  key issue ACCOUNT                          give an account a new API key (printed once)
  key list ACCOUNT                           list an account's API keys, hidden but for their last group
  key revoke KEY                             revoke an API key (a leaked one): mail carrying it is refused
  validation run [--as-of YYYY-MM-DD]        run one round of the annual POC validation (mails every due POC once)
  migrate                                    bring the database schema up to date and exit
  help                                       this text

Configuration comes from the environment: see README.md.`;

type CommandRunner = (
  args: string[],
  deps: CommandDeps & { stdin: NodeJS.ReadableStream; asOf?: string | undefined },
) => Promise<number>;

const COMMANDS: Record<string, () => Promise<CommandRunner>> = {
  start: async () => (await import('./commands/start.ts')).startCommand,
  submit: async () => (await import('./commands/submit.ts')).submitCommand,
  seed: async () => (await import('./commands/seed.ts')).seedCommand,
  demo: async () => (await import('./commands/demo.ts')).demoCommand,
  lint: async () => (await import('./commands/lint.ts')).lintCommand,
  outbox: async () => (await import('./commands/outbox.ts')).outboxCommand,
  staff: async () => (await import('./commands/staff.ts')).staffCommand,
  key: async () => (await import('./commands/key.ts')).keyCommand,
  migrate: async () => (await import('./commands/migrate.ts')).migrateCommand,
  validation: async () => (await import('./commands/validation.ts')).validationCommand,
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return name ? 0 : 64;
  }
  const load = COMMANDS[name];
  if (!load) {
    process.stderr.write(`hostmasterd: unknown command "${name}"\n\n${USAGE}\n`);
    return 64;
  }
  let config: Config;
  let args: string[];
  let asOf: string | undefined;
  try {
    const parsed = parseArgs({
      args: rest,
      options: {
        role: { type: 'string', multiple: true },
        'as-of': { type: 'string' },
        'against-registry': { type: 'boolean' },
      },
      allowPositionals: true,
      strict: true,
    });
    // lint's flag rides with its files: the commands are handed their positional arguments.
    args = parsed.values['against-registry']
      ? ['--against-registry', ...parsed.positionals]
      : parsed.positionals;
    asOf = parsed.values['as-of'];
    if (asOf !== undefined && name !== 'validation') throw new Error(`--as-of is for "validation run" only`);
    // Handed on as an argument, it would be read as another command's own: submit's envelope sender.
    if (parsed.values['against-registry'] && name !== 'lint') {
      throw new Error(`--against-registry is for "lint" only`);
    }
    config = loadConfig(process.env, { roles: parsed.values.role ?? [] });
  } catch (error) {
    process.stderr.write(`hostmasterd: ${(error as Error).message}\n`);
    return 64;
  }
  const run = await load();
  return await run(args, {
    config,
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    ...(asOf === undefined ? {} : { asOf }),
  });
}

try {
  const code = await main(process.argv.slice(2));
  // `start` keeps running until a signal; the others are done.
  if (code !== -1) process.exitCode = code;
} catch (error) {
  const message = error instanceof ProblemError ? error.message : (error as Error).stack || String(error);
  process.stderr.write(`hostmasterd: ${message}\n`);
  process.exitCode = error instanceof ProblemError && error.problem.code === 'E_CONFIG' ? 64 : 1;
}
