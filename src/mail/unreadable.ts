/**
 * Why a message in which no template was found could not be read at all, when its bytes say so:
 * the template starting inside the header block (no empty line after the headers: a PHP `mail()`
 * with a header string ending wrong), a uuencoded body (old billing systems), or encrypted mail
 * (S/MIME `smime.p7m`, PGP/MIME, an inline PGP message). Each is refused E_BAD_MIME with that
 * reason, so the sender knows what to change, never "no template was found" with the template in
 * plain sight (or locked away).
 */
import { holdsTemplateHeader, type Problem, problem } from '../shared/index.ts';
import { headerSection } from './header-block.ts';

/** How far into the message the markers below are looked for: they stand in headers or at a part's start. */
const LOOK = 256 * 1024;

const ENCRYPTED_TYPE =
  /^content-type:[ \t]*(?:multipart\/encrypted|application\/(?:x-)?pkcs7-mime(?![^\r\n]*smime-type=["']?(?:signed-data|certs-only))|application\/pgp-encrypted)/im;
const PGP_MESSAGE = /^-----BEGIN PGP MESSAGE-----[ \t]*\r?$/m;
const UUENCODE_CTE = /^content-transfer-encoding:[ \t]*(?:x-)?uu(?:encode|encoded|e)?[ \t]*\r?$/im;
/** `begin 644 poc.txt` then a line of uuencoded data (`M` plus 60 characters, or a shorter last one). */
const UUENCODE_BLOCK = /^begin(?:-base64)? [0-7]{3,4} ([^\r\n]{1,200})\r?\n[!-`]{2,61}\r?$/m;

const bad = (why: string): Problem => problem('E_BAD_MIME', `the message could not be read: ${why}`);

export function unreadableMessage(raw: Buffer): Problem | undefined {
  const text = raw.subarray(0, LOOK).toString('latin1');
  const { fieldsEnd } = headerSection(text);
  // A `Template:` line among the header fields: the header block never ended before it.
  if (holdsTemplateHeader(text.slice(0, fieldsEnd)))
    return bad(
      'the template starts inside the header block (there is no empty line after the headers, so "Template: ..." was read as a header field); put an empty line between the headers and the template',
    );
  if (ENCRYPTED_TYPE.test(text) || PGP_MESSAGE.test(text))
    return bad(
      'it is encrypted (S/MIME or PGP), and encrypted mail cannot be read here; send the templates unencrypted (a signature is fine)',
    );
  const uu = UUENCODE_BLOCK.exec(text);
  if (UUENCODE_CTE.test(text) || uu)
    return bad(
      `it holds uuencoded data${uu ? ` ("begin ... ${JSON.stringify(uu[1]!.slice(0, 60)).slice(1, -1)}")` : ' (Content-Transfer-Encoding: x-uuencode)'}, which we do not decode; send the template as plain text in the message or as a .txt attachment (base64 or quoted-printable is fine)`,
    );
  return undefined;
}
