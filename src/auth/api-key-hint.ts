/**
 * How a key is named to humans, e.g. "the API key API-****-****-****-1A2B": the project's one
 * redacted form (shared/redact.ts) for a well-formed key; a malformed one is not shown at all,
 * since it may be a real key with a typo. (Digests live in one place: registry's `apiKeyDigest`.)
 */
import { redactKey } from '../shared/index.ts';

export function apiKeyHint(key: string): string {
  const trimmed = key.trim();
  return /^API(?:-[0-9A-F]{4}){4,8}$/i.test(trimmed) ? redactKey(trimmed) : 'API-****';
}
