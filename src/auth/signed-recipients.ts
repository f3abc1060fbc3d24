/**
 * Whom a DKIM signature says the message was written to. A passing signature proves that its
 * domain sent these bytes once, to someone; anyone who received them (a colleague it was
 * addressed to, a list, a mailbox it was forwarded to) can send the same bytes to us, and the
 * signature still passes. So a signature vouches for a request to us only if the To or Cc
 * header fields it signed name one of our addresses: a To added after signing is not signed
 * (and one added below the signed one breaks the signature), so it does not count.
 */
import addressparser from 'nodemailer/lib/addressparser';

const RECIPIENT_FIELDS = new Set(['to', 'cc']);

/**
 * The addresses (lower-cased) in the To and Cc fields among a signature's signed header lines,
 * as the verifier selected them for `h=` (mailauth's `signingHeaders.headers`: the very lines,
 * bottom-most instance first, that the signature covers).
 */
export function signedRecipients(signedHeaderLines: readonly string[]): string[] {
  const found: string[] = [];
  for (const line of signedHeaderLines) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    if (!RECIPIENT_FIELDS.has(line.slice(0, colon).trim().toLowerCase())) continue;
    const value = line.slice(colon + 1).replace(/\r?\n[ \t]/g, ' ');
    for (const entry of addressparser(value, { flatten: true })) {
      const address = entry.address?.trim().toLowerCase();
      if (address) found.push(address);
    }
  }
  return found;
}

/** Whether one of the signed recipients is one of our addresses (compared lower-cased). */
export function addressedToUs(recipients: readonly string[], ourAddresses: readonly string[]): boolean {
  const ours = new Set(ourAddresses.map((a) => a.trim().toLowerCase()));
  return recipients.some((r) => ours.has(r));
}
