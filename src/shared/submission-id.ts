/**
 * Submission ids: `S` + 10 characters of millisecond time + 16 random characters, in Crockford
 * base32 (ULID-like). They sort by arrival, are never integers and contain no ':', so they are
 * valid BullMQ job ids as they are.
 */
import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export const SUBMISSION_ID_PATTERN = /^S[0-9A-HJKMNP-TV-Z]{26}$/;

export function newSubmissionId(now: number = Date.now()): string {
  let time = '';
  let rest = now;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[rest % 32]! + time;
    rest = Math.floor(rest / 32);
  }
  let random = '';
  for (const byte of randomBytes(16)) random += ALPHABET[byte % 32]!;
  return `S${time}${random}`;
}
