/**
 * The one place an API key becomes what the database stores. Keys are random, so a plain
 * SHA-256 is enough (no slow KDF); they are compared upper-cased because people and billing
 * systems write the hex digits in either case.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** `api_keys.digest` for a key: SHA-256 hex of the trimmed, upper-cased key. */
export function apiKeyDigest(key: string): string {
  return createHash('sha256').update(key.trim().toUpperCase(), 'utf8').digest('hex');
}

/** Compares two digests without leaking, through timing, how much of them matched. */
export function digestsEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * The last group of a key, for sentences such as "the API key ending in 1A2B": enough for the
 * owner to recognise it, useless to anyone else. Never the whole key.
 */
export function apiKeyHint(key: string): string {
  const last = key.trim().split('-').pop() ?? '';
  return /^[0-9A-Fa-f]{4}$/.test(last) ? `API-****-****-****-${last.toUpperCase()}` : 'API-****';
}
