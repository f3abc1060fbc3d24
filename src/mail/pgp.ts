/**
 * PGP cleartext signatures (RFC 4880 §7): keep the signed text, drop the armour and undo the
 * dash-escaping (`- -----` -> `-----`). Verification is not done here; the caller only learns
 * that the text was signed.
 */

const BEGIN = /^-----BEGIN PGP SIGNED MESSAGE-----\s*$/;
const SIGNATURE = /^-----BEGIN PGP SIGNATURE-----\s*$/;
const END = /^-----END PGP SIGNATURE-----\s*$/;

export interface Unsigned {
  readonly text: string;
  readonly signed: boolean;
}

export function stripCleartextSignature(text: string): Unsigned {
  const lines = text.split('\n');
  if (!lines.some((l) => BEGIN.test(l))) return { text, signed: false };
  const out: string[] = [];
  type State = 'outside' | 'armourHeaders' | 'signed' | 'signature';
  let state: State = 'outside';
  for (const line of lines) {
    switch (state) {
      case 'outside':
        if (BEGIN.test(line)) state = 'armourHeaders';
        else out.push(line);
        break;
      case 'armourHeaders':
        // `Hash: SHA256` lines, then one blank line before the signed text.
        if (line.trim() === '') state = 'signed';
        break;
      case 'signed':
        if (SIGNATURE.test(line)) state = 'signature';
        else out.push(line.startsWith('- ') ? line.slice(2) : line);
        break;
      case 'signature':
        if (END.test(line)) state = 'outside';
        break;
    }
  }
  return { text: out.join('\n'), signed: true };
}
