/**
 * The one typed Config, read from the environment and command-line flags.
 * No other module reads process.env: they are handed a Config.
 */
import { isIP } from 'node:net';
import path from 'node:path';
import { ProblemError, problem } from '../shared/index.ts';

export const ROLES = ['ingress', 'worker', 'console', 'public'] as const;
export type Role = (typeof ROLES)[number];

export const REPLY_STYLES = ['digest', 'per-template'] as const;
export type ReplyStyle = (typeof REPLY_STYLES)[number];

export const SENDER_AUTH_MODES = ['dkim', 'any', 'off'] as const;
export type SenderAuthMode = (typeof SENDER_AUTH_MODES)[number];

/**
 * OUTBOX_LEASE_MS when unset: how long a claimed outbox row stays its sender's without renewal.
 * The outbox sender falls back on it too (a sender started without a config, as in tests).
 */
export const DEFAULT_OUTBOX_LEASE_MS = 30_000;

export const SECURE_COOKIE_MODES = ['auto', 'always', 'never'] as const;
/** When the console's cookies carry `Secure`: `auto` = when the request came over HTTPS. */
export type SecureCookieMode = (typeof SECURE_COOKIE_MODES)[number];

/**
 * The proxies in front of the console whose X-Forwarded-For and X-Forwarded-Proto are believed
 * (addresses or CIDR ranges, as fastify's `trustProxy` takes them); empty: none, the socket's
 * peer is the client.
 */
export type TrustProxy = readonly string[];

export type DatabaseTarget =
  | {
      readonly kind: 'pglite';
      readonly dataDir: string;
      /** EMBEDDED_WAL_WRITER_DELAY_MS, when set (src/db/pglite-wal-writer.ts). */
      readonly walWriterDelayMs?: number;
    }
  | { readonly kind: 'postgres'; readonly url: string };

export type RedisTarget =
  | { readonly kind: 'embedded'; readonly socketPath: string; readonly dir: string }
  | { readonly kind: 'url'; readonly url: string };

export type ReplyTransport =
  | { readonly kind: 'folder'; readonly dir: string }
  | { readonly kind: 'smtp'; readonly url: string };

export interface Limits {
  /** Largest message accepted, in bytes (advertised with SIZE; 552 past it). */
  readonly maxMessageBytes: number;
  readonly maxRecipients: number;
  readonly maxTemplatesPerMessage: number;
  readonly maxConnections: number;
  /** Messages one sender address may submit per rolling hour. */
  readonly perSenderPerHour: number;
  /** Messages one SMTP connection may submit before it is asked to reconnect. */
  readonly perConnectionMessages: number;
  /**
   * Mails (replies, notices) one address may get from us per rolling hour, counted in Redis
   * across processes; a requester's own proven address answering its own mail is not counted.
   */
  readonly repliesPerRecipientPerHour: number;
  /**
   * Distinct addresses outside its own (not its account's registered e-mail, nor an address a
   * validation of its POCs proved) one account's mail may make us write to per rolling hour:
   * notices to new POC addresses, replies to a Reply-To. Past it the mail is kept for staff.
   */
  readonly strangersPerAccountPerHour: number;
  /** How long reading one message (MIME and templates, in a thread) may take: E_MESSAGE_TOO_COMPLEX past it. */
  readonly readTimeLimitMs: number;
  /** Open SMTP connections from one client address (an IPv6 client: its /64); more are refused 421. */
  readonly maxConnectionsPerClient: number;
  /** The longest an SMTP session may last, ms, however busy the client keeps it; then 421. */
  readonly sessionTimeoutMs: number;
  /**
   * How long the client may take over each command, counted from our last reply, ms (and how long
   * a connection may sit silent): a client trickling a byte now and then does not reset it.
   */
  readonly idleTimeoutMs: number;
  /** The slowest a message may arrive during DATA, bytes per second over each 30 s; slower is cut with 421. */
  readonly minDataBytesPerSecond: number;
  /** Large messages (over 256 KiB) held in memory at once while received and stored; others wait briefly, then hear 421. */
  readonly maxConcurrentData: number;
  /** Refused commands (4xx/5xx: unknown recipients, syntax and sequence errors) before a connection is closed with 421. */
  readonly maxRefusedCommands: number;
}

/** DNS for mail authentication (SPF, DKIM keys): its own time and places, never a worker's. */
export interface DnsLimits {
  /** How long one message's SPF and DKIM checks may take in all, ms; then the sender is unverified. */
  readonly budgetMs: number;
  /** DNS questions one worker process has in flight at once. */
  readonly concurrency: number;
}

/** Where the public WHOIS and RDAP answer, and how much one client may ask. */
export interface PublicService {
  /** The address both public listeners bind to. */
  readonly host: string;
  /** RFC 3912 WHOIS over TCP (43 in production; 4343 needs no privileges). */
  readonly whoisPort: number;
  /** The public HTTP listener: RDAP under /rdap/, the blank forms under /templates/. */
  readonly rdapPort: number;
  /**
   * How the world reaches the public HTTP listener (e.g. https://whois.registry.example), without
   * a trailing slash: RDAP links, WHOIS `Ref:` lines, replies that mention the blank forms and the
   * validation mail's `/validate/TOKEN` link use it. Unset: links are made from the address the
   * client used, and mails name no URL.
   */
  readonly url: string | undefined;
  /** WHOIS and RDAP queries one client address (an IPv6 client: its /64) may make per minute, counted in Redis. */
  readonly queriesPerMinute: number;
  /**
   * The proxies in front of the public HTTP listener whose X-Forwarded-For is believed (addresses
   * or CIDR ranges); empty: none, the socket's peer is the client the query limit counts.
   */
  readonly trustProxy: TrustProxy;
}

export interface Config {
  readonly roles: readonly Role[];
  readonly dataDir: string;
  readonly smtp: {
    readonly host: string;
    readonly port: number;
    readonly tlsKeyPath: string | undefined;
    readonly tlsCertPath: string | undefined;
  };
  readonly hostmasterAddresses: readonly string[];
  /**
   * DRY_RUN_ADDRESS: addresses of ours whose mail is processed as a dry run (every rule, rolled
   * back, answered with `Dry-run: yes`); accepted by the ingress beside the hostmaster addresses.
   */
  readonly dryRunAddresses: readonly string[];
  readonly database: DatabaseTarget;
  readonly redis: RedisTarget;
  readonly replies: {
    readonly transport: ReplyTransport;
    readonly from: string;
    readonly style: ReplyStyle;
  };
  readonly senderAuth: SenderAuthMode;
  readonly dns: DnsLimits;
  readonly console: {
    readonly host: string;
    readonly port: number;
    readonly trustProxy: TrustProxy;
    readonly secureCookies: SecureCookieMode;
    /** The first wait after too many failed sign-ins, ms; each further failure doubles it. */
    readonly signInFirstWaitMs: number;
    /** The longest wait for one address, ms; a network (many addresses) waits up to three times as long. */
    readonly signInMaxWaitMs: number;
    /**
     * METRICS_TOKEN: when set, /metrics answers whoever sends `Authorization: Bearer <token>`;
     * unset, it answers loopback clients only (the console port may be reachable from further).
     */
    readonly metricsToken?: string;
  };
  /** The `public` role: WHOIS over TCP and RDAP (with the blank forms) over HTTP, for anyone. */
  readonly public: PublicService;
  readonly limits: Limits;
  readonly workerConcurrency: number;
  /**
   * How soon a job whose worker died (its lock lapsed) is taken over by another worker, ms.
   * BullMQ's default is 30 s; crash tests set it low.
   */
  readonly workerStalledIntervalMs: number;
  /**
   * How many times a job may be taken over after its worker died before it is given up
   * (E_PROCESSING_FAILED in the rejection queue, the sender told). A message that took down its
   * worker that often is more likely the cause than the victim; staff look at it instead of a
   * further worker dying on it.
   */
  readonly workerMaxStalledCount: number;
  /**
   * How long an outbox row claimed by a sender stays its own without a renewal, ms. A live
   * sender renews the rows it holds every third of it; a dead one's rows are due again this
   * long after its last renewal.
   */
  readonly outboxLeaseMs: number;
  /** The annual POC validation (src/validation). */
  readonly validation: ValidationSettings;
  readonly logLevel: string;
  /**
   * A worker process writes where its main thread's time went, by phase of a message, to this
   * file when it stops (src/worker/phase-times.ts), counting after the first `afterMessages`.
   * A measuring aid for the benchmark: it slows the process.
   */
  readonly phaseTimes: { readonly file: string; readonly afterMessages: number } | undefined;
}

export interface ValidationSettings {
  /** Validation mails the outbox sends per hour at most (a round's mails are spread out so). */
  readonly mailsPerHour: number;
  /** When the worker role runs the daily round, `HH:MM` UTC; undefined: never (VALIDATION_RUN_AT=off). */
  readonly runAt: { readonly hour: number; readonly minute: number } | undefined;
}

function readRunAt(env: Environment, variable: string): ValidationSettings['runAt'] {
  const raw = (env[variable] ?? '').trim().toLowerCase();
  if (raw === '') return { hour: 3, minute: 0 };
  if (raw === 'off') return undefined;
  const match = /^(\d{1,2}):(\d{2})$/.exec(raw);
  if (!match || Number(match[1]) > 23 || Number(match[2]) > 59) {
    throw configError(variable, `"${raw}" is not a time of day HH:MM (UTC) or off`);
  }
  return { hour: Number(match[1]), minute: Number(match[2]) };
}

export type Environment = Readonly<Record<string, string | undefined>>;

export interface Flags {
  readonly roles?: readonly string[];
}

function configError(variable: string, message: string): ProblemError {
  return new ProblemError(problem('E_CONFIG', `${variable}: ${message}`));
}

/** A bearer token a scraper can guess is no protection: long, and nothing a header could not carry. */
const METRICS_TOKEN = /^[\x21-\x7e]{24,512}$/;

function readMetricsToken(env: Environment): { metricsToken?: string } {
  const raw = env['METRICS_TOKEN'];
  if (raw === undefined || raw === '') return {};
  if (!METRICS_TOKEN.test(raw)) {
    throw configError('METRICS_TOKEN', 'is not 24 to 512 printable characters without blanks');
  }
  return { metricsToken: raw };
}

function readPort(env: Environment, variable: string, fallback: number): number {
  const raw = env[variable];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 65535) {
    throw configError(variable, `"${raw}" is not a TCP port (a whole number from 1 to 65535)`);
  }
  return Number(raw);
}

function readPositiveInt(env: Environment, variable: string, fallback: number): number {
  const raw = env[variable];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) {
    throw configError(variable, `"${raw}" is not a positive whole number`);
  }
  return Number(raw);
}

function readNonNegativeInt(env: Environment, variable: string, fallback: number): number {
  const raw = env[variable];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw configError(variable, `"${raw}" is not a whole number`);
  return Number(raw);
}

function readAtLeast(env: Environment, variable: string, fallback: number, least: number): number {
  const value = readPositiveInt(env, variable, fallback);
  if (value < least) throw configError(variable, `"${value}" is too small (at least ${least})`);
  return value;
}

function readChoice<T extends string>(
  env: Environment,
  variable: string,
  choices: readonly T[],
  fallback: T,
): T {
  const raw = env[variable];
  if (raw === undefined || raw === '') return fallback;
  const found = choices.find((c) => c === raw.trim().toLowerCase());
  if (!found) throw configError(variable, `"${raw}" is not one of ${choices.join(', ')}`);
  return found;
}

function readTrustProxy(env: Environment, variable: string): TrustProxy {
  const raw = (env[variable] ?? '').trim();
  if (raw === '') return [];
  if (/^(true|\d+)$/i.test(raw)) {
    // Trusting every hop, or a count of them, lets a client write its own address and scheme.
    throw configError(
      variable,
      `"${raw}" would believe X-Forwarded-* from whoever connects; list the proxies' addresses (e.g. 127.0.0.1,10.0.0.0/8)`,
    );
  }
  const list = raw
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  for (const entry of list) {
    // Checked as fastify's proxy-addr reads them: what it refuses would stop the listener at start
    // with its own TypeError, and what it reads otherwise ("1.2.3") would trust another address.
    const [address = '', length, ...more] = entry.split('/');
    const version = isIP(address);
    const bits = version === 4 ? 32 : 128;
    if (
      version === 0 ||
      more.length > 0 ||
      (length !== undefined && !(/^\d{1,3}$/.test(length) && Number(length) <= bits))
    ) {
      throw configError(
        variable,
        `"${entry}" is not an IP address or CIDR range (e.g. 10.0.0.0/8, 2001:db8::/32)`,
      );
    }
  }
  return list;
}

function readUrl(env: Environment, variable: string, protocols: readonly string[]): string | undefined {
  const raw = env[variable];
  if (raw === undefined || raw === '') return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw configError(
      variable,
      `"${redactUrl(raw)}" is not a URL (expected e.g. ${protocols[0]}//host:port)`,
    );
  }
  if (!protocols.includes(url.protocol)) {
    throw configError(
      variable,
      `"${redactUrl(raw)}" must start with ${protocols.map((p) => `${p}//`).join(' or ')}`,
    );
  }
  return raw;
}

/** Hides a password inside a URL so configuration can be logged. */
export function redactUrl(raw: string): string {
  return raw.replace(/(\/\/[^:/@]*:)[^@/]*@/, '$1***@');
}

const EMAIL = /^[^\s@<>]+@[^\s@<>]+$/;

function readAddresses(env: Environment, variable: string, fallback: string): string[] {
  const raw = env[variable] ?? fallback;
  const list = raw
    .split(',')
    .map((a) => a.trim().toLowerCase())
    .filter(Boolean);
  if (list.length === 0) throw configError(variable, 'at least one address is needed');
  for (const address of list) {
    if (!EMAIL.test(address)) throw configError(variable, `"${address}" is not an e-mail address`);
  }
  return list;
}

function readRoles(flags: Flags, env: Environment): Role[] {
  const requested =
    flags.roles && flags.roles.length > 0 ? flags.roles : (env['HOSTMASTER_ROLES'] ?? '').split(',');
  const cleaned = requested.map((r) => r.trim().toLowerCase()).filter(Boolean);
  if (cleaned.length === 0) return [...ROLES];
  const roles: Role[] = [];
  for (const name of cleaned) {
    const role = ROLES.find((r) => r === name);
    if (!role) throw configError('--role', `"${name}" is not a role (use ${ROLES.join(', ')})`);
    if (!roles.includes(role)) roles.push(role);
  }
  return roles;
}

export function loadConfig(env: Environment, flags: Flags = {}, cwd: string = process.cwd()): Config {
  const dataDir = path.resolve(cwd, env['DATA_DIR'] || './data');
  const databaseUrl = readUrl(env, 'DATABASE_URL', ['postgres:', 'postgresql:']);
  const redisUrl = readUrl(env, 'REDIS_URL', ['redis:', 'rediss:', 'unix:']);
  const replyUrl = readUrl(env, 'REPLY_SMTP_URL', ['smtp:', 'smtps:']);
  const hostmasterAddresses = readAddresses(env, 'HOSTMASTER_ADDRESSES', 'hostmaster@localhost');
  const dryRunAddresses = (env['DRY_RUN_ADDRESS'] ?? '').trim()
    ? readAddresses(env, 'DRY_RUN_ADDRESS', '')
    : [];
  const overlap = dryRunAddresses.find((a) => hostmasterAddresses.includes(a));
  if (overlap) {
    throw configError(
      'DRY_RUN_ADDRESS',
      `"${overlap}" is also in HOSTMASTER_ADDRESSES: mail to it would change the registry; give the dry runs an address of their own`,
    );
  }
  const replyFrom = (env['REPLY_FROM'] || hostmasterAddresses[0]!).trim();
  if (!EMAIL.test(replyFrom.replace(/^.*<(.+)>$/, '$1'))) {
    throw configError('REPLY_FROM', `"${replyFrom}" is not an e-mail address`);
  }
  const tlsKeyPath = env['SMTP_TLS_KEY'] || undefined;
  const tlsCertPath = env['SMTP_TLS_CERT'] || undefined;
  if (Boolean(tlsKeyPath) !== Boolean(tlsCertPath)) {
    throw configError(
      tlsKeyPath ? 'SMTP_TLS_CERT' : 'SMTP_TLS_KEY',
      'STARTTLS needs both SMTP_TLS_KEY and SMTP_TLS_CERT',
    );
  }
  const maxTemplatesPerMessage = readPositiveInt(env, 'MAX_TEMPLATES_PER_MESSAGE', 10);
  return {
    roles: readRoles(flags, env),
    dataDir,
    smtp: {
      host: env['SMTP_HOST'] || '127.0.0.1',
      port: readPort(env, 'SMTP_PORT', 2525),
      tlsKeyPath,
      tlsCertPath,
    },
    hostmasterAddresses,
    dryRunAddresses,
    database: databaseUrl
      ? { kind: 'postgres', url: databaseUrl }
      : {
          kind: 'pglite',
          dataDir: path.join(dataDir, 'pglite'),
          ...(env['EMBEDDED_WAL_WRITER_DELAY_MS']
            ? { walWriterDelayMs: readPositiveInt(env, 'EMBEDDED_WAL_WRITER_DELAY_MS', 200) }
            : {}),
        },
    redis: redisUrl
      ? { kind: 'url', url: redisUrl }
      : {
          kind: 'embedded',
          socketPath: path.join(dataDir, 'redis', 'redis.sock'),
          dir: path.join(dataDir, 'redis'),
        },
    replies: {
      transport: replyUrl
        ? { kind: 'smtp', url: replyUrl }
        : { kind: 'folder', dir: path.join(dataDir, 'outbox') },
      from: replyFrom,
      style: readChoice(env, 'REPLY_STYLE', REPLY_STYLES, 'digest'),
    },
    senderAuth: readChoice(env, 'SENDER_AUTH', SENDER_AUTH_MODES, 'dkim'),
    dns: {
      budgetMs: readPositiveInt(env, 'DNS_BUDGET_MS', 2_000),
      concurrency: readPositiveInt(env, 'DNS_CONCURRENCY', 8),
    },
    console: {
      host: env['CONSOLE_HOST'] || '127.0.0.1',
      port: readPort(env, 'CONSOLE_PORT', 8080),
      trustProxy: readTrustProxy(env, 'CONSOLE_TRUST_PROXY'),
      secureCookies: readChoice(env, 'CONSOLE_SECURE_COOKIES', SECURE_COOKIE_MODES, 'auto'),
      signInFirstWaitMs: readPositiveInt(env, 'CONSOLE_SIGN_IN_FIRST_WAIT_MS', 1_000),
      signInMaxWaitMs: readPositiveInt(env, 'CONSOLE_SIGN_IN_MAX_WAIT_MS', 5 * 60_000),
      ...readMetricsToken(env),
    },
    public: {
      host: env['PUBLIC_HOST'] || '127.0.0.1',
      whoisPort: readPort(env, 'WHOIS_PORT', 4343),
      rdapPort: readPort(env, 'RDAP_PORT', 8081),
      url: readUrl(env, 'PUBLIC_URL', ['http:', 'https:'])?.replace(/\/+$/, ''),
      queriesPerMinute: readPositiveInt(env, 'PUBLIC_QUERIES_PER_MINUTE', 300),
      trustProxy: readTrustProxy(env, 'PUBLIC_TRUST_PROXY'),
    },
    limits: {
      maxMessageBytes: readPositiveInt(env, 'MAX_MESSAGE_BYTES', 10 * 1024 * 1024),
      maxRecipients: readPositiveInt(env, 'MAX_RECIPIENTS', 10),
      maxTemplatesPerMessage,
      maxConnections: readPositiveInt(env, 'MAX_CONNECTIONS', 100),
      perSenderPerHour: readPositiveInt(env, 'RATE_PER_SENDER_PER_HOUR', 5000),
      perConnectionMessages: readPositiveInt(env, 'RATE_PER_CONNECTION', 1000),
      repliesPerRecipientPerHour: readPositiveInt(env, 'REPLY_LIMIT_PER_RECIPIENT_PER_HOUR', 20),
      strangersPerAccountPerHour: readPositiveInt(env, 'STRANGER_LIMIT_PER_ACCOUNT_PER_HOUR', 20),
      readTimeLimitMs: readPositiveInt(env, 'READ_TIME_LIMIT_MS', 30_000),
      maxConnectionsPerClient: readPositiveInt(env, 'SMTP_MAX_CONNECTIONS_PER_CLIENT', 10),
      sessionTimeoutMs: readPositiveInt(env, 'SMTP_SESSION_TIMEOUT_MS', 10 * 60_000),
      idleTimeoutMs: readPositiveInt(env, 'SMTP_IDLE_TIMEOUT_MS', 60_000),
      minDataBytesPerSecond: readPositiveInt(env, 'SMTP_MIN_DATA_RATE', 8 * 1024),
      maxConcurrentData: readPositiveInt(env, 'SMTP_MAX_CONCURRENT_DATA', 4),
      maxRefusedCommands: readPositiveInt(env, 'SMTP_MAX_REFUSED_COMMANDS', 20),
    },
    workerConcurrency: readPositiveInt(env, 'WORKER_CONCURRENCY', 4),
    workerStalledIntervalMs: readPositiveInt(env, 'WORKER_STALLED_INTERVAL_MS', 30_000),
    workerMaxStalledCount: readPositiveInt(env, 'WORKER_MAX_STALLED_COUNT', 1),
    outboxLeaseMs: readAtLeast(env, 'OUTBOX_LEASE_MS', DEFAULT_OUTBOX_LEASE_MS, 1_000),
    validation: {
      mailsPerHour: readPositiveInt(env, 'VALIDATION_MAILS_PER_HOUR', 600),
      runAt: readRunAt(env, 'VALIDATION_RUN_AT'),
    },
    logLevel: env['LOG_LEVEL'] || 'info',
    phaseTimes: env['HOSTMASTERD_PHASE_TIMES']
      ? {
          file: path.resolve(cwd, env['HOSTMASTERD_PHASE_TIMES']),
          afterMessages: readNonNegativeInt(env, 'HOSTMASTERD_PHASE_TIMES_AFTER', 0),
        }
      : undefined,
  };
}
