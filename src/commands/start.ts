import { startDaemon } from '../daemon.ts';
import { createLogger } from '../shared/index.ts';
import { prepareEmbeddedDatabase } from './start-first-time.ts';
import type { CommandDeps } from './types.ts';

/** Runs until SIGTERM or SIGINT, then shuts down gracefully (a second signal forces the exit). */
export async function startCommand(_args: string[], deps: CommandDeps): Promise<number> {
  // A person at a terminal reads lines; a service manager or collector gets JSON.
  const human = (deps.stdout as { isTTY?: boolean }).isTTY === true;
  const logger = createLogger({ level: deps.config.logLevel, destination: deps.stdout, human });
  await prepareEmbeddedDatabase(deps.config.database);
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
  return await new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        deps.stderr.write(`hostmasterd: ${signal} again, exiting now\n`);
        process.exit(1);
      }
      stopping = true;
      logger.info({ signal }, 'shutting down');
      daemon.close().then(
        () => resolve(0),
        () => resolve(1),
      );
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}
