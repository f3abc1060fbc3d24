/**
 * Turns the configured Redis (a URL, or the embedded server's unix socket) into ioredis options.
 * Producers and workers need different retry behaviour, so callers add their own on top.
 */
import type { RedisOptions } from 'ioredis';
import type { RedisTarget } from '../config/index.ts';
import { ProblemError, problem } from '../shared/index.ts';

/** Where Redis is: the configured target, or a running embedded server (only its socket matters). */
export type RedisLocation = RedisTarget | { readonly kind: 'socket'; readonly socketPath: string };

export function redisOptionsFor(location: RedisLocation): RedisOptions {
  if (location.kind === 'embedded' || location.kind === 'socket') return { path: location.socketPath };
  return parseRedisUrl(location.url);
}

/** `redis://[user:password@]host[:port][/db]`, `rediss://` (TLS), `unix:///path/to.sock[?db=N]`. */
export function parseRedisUrl(raw: string): RedisOptions {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ProblemError(problem('E_CONFIG', 'REDIS_URL is not a URL'));
  }
  const auth: RedisOptions = {
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
  };
  if (url.protocol === 'unix:') {
    const db = url.searchParams.get('db');
    return { ...auth, path: decodeURIComponent(url.pathname), ...(db ? { db: Number(db) } : {}) };
  }
  const db = url.pathname.replace(/^\//, '');
  return {
    ...auth,
    host: url.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1',
    port: url.port ? Number(url.port) : 6379,
    ...(db && /^\d+$/.test(db) ? { db: Number(db) } : {}),
    ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

/** For logs: where we connect, without a password. */
export function describeRedis(options: RedisOptions): string {
  if (options.path) return `unix:${options.path}`;
  return `${options.tls ? 'rediss' : 'redis'}://${options.host ?? '127.0.0.1'}:${options.port ?? 6379}/${options.db ?? 0}`;
}
