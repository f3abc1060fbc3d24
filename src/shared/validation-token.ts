/**
 * The one-time token of a POC validation mail (src/validation): `VT-` and 26 letters and digits
 * of RFC 4648 base32 (130 random bits). Whoever holds it may validate the POC once, so it is a
 * secret like an API key: the logger hides it wherever it appears (a URL `/validate/VT-...`
 * included). Its shape lives here, beside the key shapes, so the logger needs no other room.
 */

/** Case-insensitive: a person may retype it in lower case; not inside a longer word. */
export const VALIDATION_TOKEN = /(?<![A-Za-z0-9])VT-[A-Z2-7]{26}(?![A-Za-z0-9])/gi;

export const REDACTED_VALIDATION_TOKEN = 'VT-[redacted]';

/** Every validation token in `text`, upper-cased, each once, in order of appearance. */
export function findValidationTokens(text: string): string[] {
  const found = [...text.matchAll(VALIDATION_TOKEN)].map((m) => m[0].toUpperCase());
  return [...new Set(found)];
}

/** `text` with every validation token replaced by `VT-[redacted]`. */
export function redactValidationTokens(text: string): string {
  return text.replace(VALIDATION_TOKEN, REDACTED_VALIDATION_TOKEN);
}
