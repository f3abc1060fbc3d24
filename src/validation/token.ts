/**
 * One-time validation tokens: random, written only into the validation mail, stored only as a
 * SHA-256 digest (random, so a slow hash adds nothing), never logged (src/shared hides the shape
 * in every log line).
 */
import { createHash, randomBytes } from 'node:crypto';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** `VT-` and 26 base32 characters: 130 random bits. */
export function newValidationToken(): string {
  const bytes = randomBytes(17);
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < 26) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return `VT-${out}`;
}

export function tokenDigest(token: string): string {
  return createHash('sha256').update(token.trim().toUpperCase()).digest('hex');
}

/** A short random part for a validation mail's Message-ID: not guessable, so it proves receipt. */
export function messageIdNonce(): string {
  return randomBytes(9)
    .toString('base64url')
    .replace(/[^A-Za-z0-9]/g, 'x');
}
