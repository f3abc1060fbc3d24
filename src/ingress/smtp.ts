/**
 * The SMTP ingress: a receive-only server for the hostmaster addresses. It answers
 * `250 2.0.0 Accepted as <submission id>` only once the raw message is committed to the
 * database AND its job is in Redis; when either is unreachable it answers 451 so the sender's
 * MTA keeps the message and tries again. It relays nothing and authenticates nobody: who may
 * change what is decided later, per template, by the worker.
 *
 * One handler per SMTP phase, as smtp-server names them: the connection (smtp-connection.ts),
 * the envelope (smtp-envelope.ts) and the message (smtp-data.ts), over one context
 * (smtp-phase.ts). This file puts them on a server and listens.
 */
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { SMTPServer } from 'smtp-server';
import type { Config } from '../config/index.ts';
import type { Executor } from '../db/index.ts';
import type { SubmissionQueue } from '../queue/index.ts';
import { lazyPackage, listenFailure, ProblemError, problem, silentLogger } from '../shared/index.ts';
import { SenderRate } from './sender-rate.ts';
import { SessionGuards } from './session-guard.ts';
import { closeHandler, connectHandler } from './smtp-connection.ts';
import { dataHandler } from './smtp-data.ts';
import { mailFromHandler, rcptToHandler } from './smtp-envelope.ts';
import type { IngressMetrics, SmtpPhaseContext } from './smtp-phase.ts';
import { SenderRateAnswers } from './smtp-sender-rate.ts';

export type { IngressMetrics } from './smtp-phase.ts';

/** Loaded when the ingress starts: `submit` uses this room but serves no SMTP. */
const smtpServer = lazyPackage<typeof import('smtp-server')>('smtp-server');

export interface IngressDeps {
  readonly config: Config;
  readonly db: Executor;
  readonly queue: SubmissionQueue;
  readonly logger?: Logger;
  readonly metrics?: IngressMetrics;
}

export interface Ingress {
  /** The port actually listened on (config.smtp.port 0 picks a free one). */
  readonly port: number;
  /** Stops accepting connections and waits (up to 10 s) for open sessions to end. */
  close(): Promise<void>;
}

/** STARTTLS only with the operator's own certificate: smtp-server's built-in one has a public key. */
function readTlsFiles(config: Config): { key: Buffer; cert: Buffer } | undefined {
  const { tlsKeyPath, tlsCertPath } = config.smtp;
  if (!tlsKeyPath || !tlsCertPath) return undefined;
  try {
    return { key: fs.readFileSync(tlsKeyPath), cert: fs.readFileSync(tlsCertPath) };
  } catch (error) {
    throw new ProblemError(
      problem('E_CONFIG', `SMTP_TLS_KEY/SMTP_TLS_CERT cannot be read: ${(error as Error).message}`),
    );
  }
}

/** Listens, or rejects with the one-sentence E_SMTP_LISTEN naming the address and its variables. */
function listen(server: SMTPServer, config: Config): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const onError = (error: Error) => {
      reject(
        listenFailure(
          {
            code: 'E_SMTP_LISTEN',
            what: 'SMTP',
            host: config.smtp.host,
            port: config.smtp.port,
            variables: 'SMTP_HOST/SMTP_PORT',
          },
          error,
        ),
      );
    };
    server.server.once('error', onError);
    server.listen(config.smtp.port, config.smtp.host, () => {
      server.server.removeListener('error', onError);
      resolve((server.server.address() as AddressInfo).port);
    });
  });
}

export async function startIngress(deps: IngressDeps): Promise<Ingress> {
  const { config } = deps;
  const logger = deps.logger ?? silentLogger();
  const limits = config.limits;
  const tls = readTlsFiles(config);

  // The guards reach the server's connections only once sessions come, after it exists.
  const guards = new SessionGuards(() => server.connections, {
    maxConnections: limits.maxConnections,
    maxConnectionsPerClient: limits.maxConnectionsPerClient,
    sessionTimeoutMs: limits.sessionTimeoutMs,
    idleTimeoutMs: limits.idleTimeoutMs,
    maxRefusedCommands: limits.maxRefusedCommands,
    logger,
    onRefusal: (reason, code) => deps.metrics?.messageRefused(reason, code),
  });
  const ctx: SmtpPhaseContext = {
    config,
    db: deps.db,
    queue: deps.queue,
    logger,
    metrics: deps.metrics,
    guards,
    rate: new SenderRateAnswers(new SenderRate(deps.queue.redis, limits.perSenderPerHour), logger),
    acceptedOnConnection: new Map(),
  };

  const server: SMTPServer = new (smtpServer().SMTPServer)({
    name: config.hostmasterAddresses[0]?.split('@')[1] || 'hostmasterd',
    banner: 'hostmasterd ESMTP: registration templates for the hostmaster mailbox only',
    size: limits.maxMessageBytes,
    maxRecipients: limits.maxRecipients,
    disabledCommands: tls ? ['AUTH'] : ['AUTH', 'STARTTLS'],
    hideSTARTTLS: !tls,
    ...(tls ?? {}),
    disableReverseLookup: true,
    logger: false,
    closeTimeout: 10_000,
    socketTimeout: limits.idleTimeoutMs,
    onConnect: connectHandler(ctx),
    onMailFrom: mailFromHandler(ctx),
    onRcptTo: rcptToHandler(ctx),
    onData: dataHandler(ctx),
    onClose: closeHandler(ctx),
  });
  server.on('error', (error) => logger.error({ err: error.message }, 'smtp server error'));

  const port = await listen(server, config);
  logger.info(
    {
      host: config.smtp.host,
      port,
      mailboxes: [
        ...new Set([...config.hostmasterAddresses, ...config.dryRunAddresses].map((a) => a.toLowerCase())),
      ],
    },
    'smtp ingress listening',
  );

  let closing: Promise<void> | undefined;
  return {
    port,
    close: () => {
      closing ??= new Promise<void>((resolve) => server.close(() => resolve()));
      return closing;
    },
  };
}
