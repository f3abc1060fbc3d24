import { startDaemon } from '../daemon.ts';
import { createLogger } from '../shared/index.ts';
import { prepareEmbeddedDatabase } from './start-first-time.ts';
import type { CommandDeps } from './types.ts';

/**
 * Runs until SIGTERM or SIGINT, then shuts down gracefully (a second signal forces the exit).
 * The signals are ours before anything starts: until a process listens for SIGTERM, the kernel
 * ends it at once (a private redis-server left behind, the database not closed), and a
 * supervisor may well send it the moment "hostmasterd is running" is written, or while a first
 * start prepares the database. One that comes before the daemon is up stops it once it is.
 */
export async function startCommand(_args: string[], deps: CommandDeps): Promise<number> {
  let signalled: ((signal: NodeJS.Signals) => void) | undefined;
  const stopAsked = new Promise<NodeJS.Signals>((resolve) => {
    signalled = resolve;
  });
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      deps.stderr.write(`hostmasterd: ${signal} again, exiting now\n`);
      process.exit(1);
    }
    signalled?.(signal);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  // A person at a terminal reads lines; a service manager or collector gets JSON.
  const human = (deps.stdout as { isTTY?: boolean }).isTTY === true;
  const logger = createLogger({ level: deps.config.logLevel, destination: deps.stdout, human });
  try {
    await prepareEmbeddedDatabase(deps.config.database);
  } catch (error) {
    // A service manager signals every process of the service, the child that makes the
    // database too: asked to stop, a start that did not finish is no failure to report.
    if (signals === 0) throw error;
    deps.stderr.write(
      'hostmasterd: stopped before the embedded database was made; the next start makes it\n',
    );
    return 0;
  }
  const daemon = await startDaemon({ config: deps.config, logger });
  const parts = [
    daemon.smtpPort !== undefined ? `SMTP on ${deps.config.smtp.host}:${daemon.smtpPort}` : '',
    daemon.consolePort !== undefined
      ? `console on http://${deps.config.console.host}:${daemon.consolePort}/`
      : '',
    daemon.whoisPort !== undefined ? `WHOIS on ${deps.config.public.host}:${daemon.whoisPort}` : '',
    daemon.rdapPort !== undefined ? `RDAP on http://${deps.config.public.host}:${daemon.rdapPort}/rdap/` : '',
  ].filter(Boolean);
  deps.stderr.write(`hostmasterd is running (${deps.config.roles.join(', ')}): ${parts.join(', ')}\n`);
  const ended = await Promise.race([
    stopAsked.then((signal) => ({ signal }) as const),
    daemon.failure.then((failure) => ({ failure }) as const),
  ]);
  if ('signal' in ended) logger.info({ signal: ended.signal }, 'shutting down');
  else
    logger.fatal(
      { code: ended.failure.code, err: ended.failure.message },
      'shutting down: the daemon cannot work',
    );
  const closed = await daemon.close().then(
    () => true,
    () => false,
  );
  const code = closed && 'signal' in ended ? 0 : 1;
  // Everything we opened is closed; a client of a dependency that went away may still hold a
  // reconnect timer (BullMQ's blocking connection after a forced close): it must not keep a
  // stopped daemon alive, listening on nothing, until someone kills it.
  setTimeout(() => {
    logger.warn('connections still open after shutdown; exiting all the same');
    process.exit(code);
  }, LEFTOVER_HANDLES_GRACE_MS).unref();
  return code;
}

const LEFTOVER_HANDLES_GRACE_MS = 2_000;
