/**
 * Blanks inside a value: a TAB, a no-break space pasted from a web page (U+00A0), an em or
 * ideographic space (U+2003, U+3000), two spaces typed. A person reads each run of them as one
 * space, so the registry stores it as one (templates' `text` values), and a name searched for
 * (WHOIS, RDAP) and a value compared with a stored one (a resend) are read the same way:
 * what the reply says is what is published and what is found.
 */

/** TAB and every Unicode space separator (Zs: SPACE, NBSP, U+1680, U+2000-U+200A, U+202F, U+205F, U+3000). */
const BLANK_RUN = /[\t\p{Zs}]+/gu;

/** Each run of blanks as one ASCII space (the edges are the caller's: values arrive trimmed). */
export function oneSpaceBlanks(text: string): string {
  return text.replace(BLANK_RUN, ' ');
}
