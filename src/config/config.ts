/**
 * The one typed Config, read from the environment and command-line flags.
 * No other module reads process.env: they are handed a Config.
 */
import path from 'node:path';
import { ProblemError, problem } from '../shared/errors.ts';

export const ROLES = ['ingress', 'worker', 'console'] as const;
export type Role = (typeof ROLES)[number];

export const REPLY_STYLES = ['digest', 'per-template'] as const;
export type ReplyStyle = (typeof REPLY_STYLES)[number];

export const SENDER_AUTH_MODES = ['dkim', 'any', 'off'] as const;
export type SenderAuthMode = (typeof SENDER_AUTH_MODES)[number];

export type DatabaseTarget =
  | { readonly kind: 'pglite'; readonly dataDir: string }
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
  readonly database: DatabaseTarget;
  readonly redis: RedisTarget;
  readonly replies: {
    readonly transport: ReplyTransport;
    readonly from: string;
    readonly style: ReplyStyle;
  };
  readonly senderAuth: SenderAuthMode;
  readonly console: {
    readonly host: string;
    readonly port: number;
    /**
     * METRICS_TOKEN: when set, /metrics answers whoever sends `Authorization: Bearer <token>`;
     * unset, it answers loopback clients only (the console port may be reachable from further).
     */
    readonly metricsToken?: string;
  };
  readonly limits: Limits;
  readonly workerConcurrency: number;
  /**
   * How soon a job whose worker died (its lock lapsed) is taken over by another worker, ms.
   * BullMQ's default is 30 s; crash tests set it low.
   */
  readonly workerStalledIntervalMs: number;
  readonly logLevel: string;
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
    database: databaseUrl
      ? { kind: 'postgres', url: databaseUrl }
      : { kind: 'pglite', dataDir: path.join(dataDir, 'pglite') },
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
    console: {
      host: env['CONSOLE_HOST'] || '127.0.0.1',
      port: readPort(env, 'CONSOLE_PORT', 8080),
      ...readMetricsToken(env),
    },
    limits: {
      maxMessageBytes: readPositiveInt(env, 'MAX_MESSAGE_BYTES', 10 * 1024 * 1024),
      maxRecipients: readPositiveInt(env, 'MAX_RECIPIENTS', 10),
      maxTemplatesPerMessage,
      maxConnections: readPositiveInt(env, 'MAX_CONNECTIONS', 100),
      perSenderPerHour: readPositiveInt(env, 'RATE_PER_SENDER_PER_HOUR', 5000),
      perConnectionMessages: readPositiveInt(env, 'RATE_PER_CONNECTION', 1000),
    },
    workerConcurrency: readPositiveInt(env, 'WORKER_CONCURRENCY', 4),
    workerStalledIntervalMs: readPositiveInt(env, 'WORKER_STALLED_INTERVAL_MS', 30_000),
    logLevel: env['LOG_LEVEL'] || 'info',
  };
}
