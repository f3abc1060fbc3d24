/**
 * `hostmasterd start`: every role in one process on the embedded defaults, or the roles asked
 * for (`--role ingress|worker|console|public`) against a shared PostgreSQL and Redis. Closing stops
 * intake first, lets running jobs finish, then lets go of Redis and the database.
 */
import type { DnsResolver } from './auth/index.ts';
import { commandSocketPath, serveCommandSocket } from './commands/database-channel.ts';
import type { Config } from './config/index.ts';
import { consoleQueueFrom, startConsole } from './console/index.ts';
import { type DatabaseHandle, openDatabase } from './db/index.ts';
import { startIngress, startSubmissionKeeping } from './ingress/index.ts';
import {
  createMetrics,
  type DaemonMetrics,
  type OpsRoutesOptions,
  startOpsServer,
} from './observability/index.ts';
import { type OutboxBackoff, type OutboxSender, startOutboxSender } from './outbox/index.ts';
import { PUBLIC_PROTOCOLS, QUERY_KINDS, QUERY_OUTCOMES, startPublicServices } from './public/index.ts';
import {
  type EmbeddedRedis,
  type RedisLocation,
  SubmissionQueue,
  startEmbeddedRedis,
} from './queue/index.ts';
import { loadReplyTexts } from './replies/index.ts';
import type { Logger, Problem } from './shared/index.ts';
import { formVersionNames } from './templates/index.ts';
import { startValidationSchedule, validationMailAtSend, validationMailFailed } from './validation/index.ts';
import { inPhase, startPhaseTimes, startWorker, timeLogger, writePhaseTimes } from './worker/index.ts';

export interface DaemonOptions {
  readonly config: Config;
  readonly logger: Logger;
  /** DNS for sender checks; the system resolver when absent. */
  readonly resolver?: DnsResolver;
  /** Tests: take a dead worker's jobs over sooner. */
  readonly stalledInterval?: number;
  /** Tests: how often the outbox looks for due mail without being woken. */
  readonly outboxPollMs?: number;
  /** Tests: the outbox's waits between attempts (30 s doubling to 1 h otherwise). */
  readonly outboxBackoff?: OutboxBackoff;
  readonly sweepIntervalMs?: number;
  /** An already open database (tests clone a migrated one); opened from config.database otherwise. */
  readonly database?: DatabaseHandle;
  /** Metrics to count into (tests read them); a fresh registry with process metrics otherwise. */
  readonly metrics?: DaemonMetrics;
}

export interface Daemon {
  readonly smtpPort: number | undefined;
  readonly consolePort: number | undefined;
  /** The public role's WHOIS and RDAP listeners. */
  readonly whoisPort: number | undefined;
  readonly rdapPort: number | undefined;
  readonly database: DatabaseHandle;
  readonly queue: SubmissionQueue;
  readonly redis: RedisLocation;
  readonly outbox: OutboxSender | undefined;
  readonly metrics: DaemonMetrics;
  /**
   * Settles only when something this process started and supervises failed for good (its private
   * redis-server exited and would not start again): the daemon cannot work, and should close and
   * exit non-zero so that its own supervisor starts it again.
   */
  readonly failure: Promise<Problem>;
  /** Where /metrics, /healthz and /readyz answer: the console's port, or a bare ops server on it without the console role. */
  readonly opsPort: number;
  close(): Promise<void>;
}

const OUTBOX_PHASE = 'outbox: claim, deliver, mark (nodemailer)';

export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  const { config } = options;
  const phaseTimes = config.roles.includes('worker') ? config.phaseTimes : undefined;
  // Before any connection is opened: their sockets are then charged to their drivers.
  if (phaseTimes) startPhaseTimes(phaseTimes.file, phaseTimes.afterMessages);
  const logger = timeLogger(options.logger);
  const stops: Array<() => Promise<void>> = [];
  let embedded: EmbeddedRedis | undefined;
  const closeAll = async () => {
    // Stopping is not a crash: a private redis-server that exits now stays stopped.
    embedded?.leaveStopped();
    writePhaseTimes();
    for (const stop of stops.reverse()) {
      try {
        await stop();
      } catch (error) {
        logger.error({ err: error }, 'error while shutting down');
      }
    }
  };
  try {
    if (config.redis.kind === 'embedded') {
      embedded = await startEmbeddedRedis({
        socketPath: config.redis.socketPath,
        dir: config.redis.dir,
        logger,
      });
      stops.push(() => embedded!.stop());
    }
    const redis: RedisLocation = embedded ?? config.redis;
    const database = options.database ?? (await openDatabase(config.database, { ownThread: true }));
    if (!options.database) stops.push(() => database.close());
    if (!options.database && database.kind === 'pglite') {
      // This process owns the embedded database: `seed`, `demo`, `staff` and `validation run`
      // come here meanwhile.
      // A convenience, not a duty: without it (DATA_DIR/control a link, or too long a path for a
      // socket) they refuse the locked database as before, and the daemon runs.
      const socketPath = commandSocketPath(config);
      const socket = await serveCommandSocket({ db: database.db, config, socketPath, logger }).catch(
        (error: unknown) => {
          logger.warn(
            { err: error, socketPath },
            'no command socket: seed, demo and staff refuse the embedded database while this process runs',
          );
          return undefined;
        },
      );
      if (socket) stops.push(() => socket.close());
    }
    const queue = new SubmissionQueue(redis, { logger });
    stops.push(() => queue.close());
    const roles = new Set(config.roles);
    // The form label's closed set: the forms and versions we accept (anything else is `unknown`).
    const metrics =
      options.metrics ??
      createMetrics({
        knownForms: formVersionNames(),
        publicLabels: { protocols: PUBLIC_PROTOCOLS, kinds: QUERY_KINDS, outcomes: QUERY_OUTCOMES },
      });
    metrics.watchQueue(() => queue.counts());
    const ops: OpsRoutesOptions = {
      metrics,
      ...(config.console.metricsToken === undefined ? {} : { metricsToken: config.console.metricsToken }),
      roles: [...roles],
      checks: [
        { name: 'database', ping: () => database.ping() },
        { name: 'redis', ping: () => queue.ping() },
      ],
    };

    let outbox: OutboxSender | undefined;
    if (roles.has('worker')) {
      const texts = loadReplyTexts(undefined, { publicUrl: config.public.url });
      outbox = inPhase(OUTBOX_PHASE, () =>
        startOutboxSender({
          db: database.db,
          transport: config.replies.transport,
          logger,
          metrics: metrics.replies,
          leaseMs: config.outboxLeaseMs,
          // A paced validation mail is written again from the record as it is when it goes.
          prepare: (mail) => validationMailAtSend(database.db, config, mail),
          // Its relay refusing a validation mail for good flags the address, as a bounce would.
          failedForGood: async (mail, addresses) => {
            await validationMailFailed(database.db, mail, addresses);
          },
          ...(options.outboxPollMs ? { pollMs: options.outboxPollMs } : {}),
          ...(options.outboxBackoff ? { backoff: options.outboxBackoff } : {}),
        }),
      );
      stops.push(() => outbox!.close());
      const worker = startWorker({
        config,
        db: database.db,
        redis,
        logger,
        texts,
        metrics: metrics.worker,
        // The sender's round a commit wakes is the outbox's work, not the message's.
        wakeOutbox: () => inPhase(OUTBOX_PHASE, () => outbox?.wake()),
        ...(options.resolver ? { resolver: options.resolver } : {}),
        ...(options.stalledInterval ? { stalledInterval: options.stalledInterval } : {}),
      });
      stops.push(() => worker.close());
      const schedule = await startValidationSchedule(redis, {
        db: database.db,
        config,
        logger,
        metrics: metrics.worker,
      });
      stops.push(() => schedule.close());
    }
    let consolePort: number | undefined;
    if (roles.has('console')) {
      const running = await startConsole({
        config,
        db: database.db,
        queue: consoleQueueFrom(queue),
        logger,
        ops,
      });
      consolePort = running.port;
      stops.push(() => running.close());
    }
    let whoisPort: number | undefined;
    let rdapPort: number | undefined;
    if (roles.has('public')) {
      const running = await startPublicServices({
        maxTemplatesPerMessage: config.limits.maxTemplatesPerMessage,
        settings: config.public,
        db: database.db,
        redis,
        logger,
        metrics: metrics.public,
        validationMetrics: metrics.worker,
      });
      whoisPort = running.whoisPort;
      rdapPort = running.rdapPort;
      stops.push(() => running.close());
    }
    let smtpPort: number | undefined;
    if (roles.has('ingress') || roles.has('worker')) {
      // Keeps every stored submission queued: the sweeper, and the listener for `submit` on PostgreSQL.
      const keeping = await startSubmissionKeeping({
        db: database.db,
        queue,
        logger,
        ...(config.database.kind === 'postgres' ? { databaseUrl: config.database.url } : {}),
        ...(options.sweepIntervalMs ? { sweepIntervalMs: options.sweepIntervalMs } : {}),
      });
      stops.push(() => keeping.stop());
    }
    if (roles.has('ingress')) {
      const ingress = await startIngress({
        config,
        db: database.db,
        queue,
        logger,
        metrics: metrics.ingress,
      });
      smtpPort = ingress.port;
      stops.push(() => ingress.close());
    }
    let opsPort = consolePort;
    if (opsPort === undefined) {
      // No console here: the same address still answers probes and scrapes (docs/operations.md).
      const opsServer = await startOpsServer({
        ...ops,
        host: config.console.host,
        port: config.console.port,
      });
      opsPort = opsServer.port;
      stops.push(() => opsServer.close());
    }
    logger.info(
      { roles: [...roles], smtpPort, consolePort, whoisPort, rdapPort, opsPort, database: database.kind },
      'hostmasterd started',
    );
    return {
      smtpPort,
      consolePort,
      whoisPort,
      rdapPort,
      opsPort,
      database,
      queue,
      redis,
      outbox,
      metrics,
      failure: embedded?.failed ?? new Promise<Problem>(() => {}),
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
